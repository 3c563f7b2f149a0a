def training_source(graph):
    return ""
