"""Import rules with no block of their own: torch's transformer encoder layers, which
trace as one opaque layer (their fast path branches on tensor properties), are followed
through the slow path instead, written out from their sublayers: MultiheadAttention,
Linear, Dropout, LayerNorm and the activation each become their block."""

from torch import nn

from .fx_rules import expand_rule


@expand_rule(nn.TransformerEncoderLayer)
def _encoder_layer(m, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
    if src_mask is not None or src_key_padding_mask is not None or is_causal:
        return None  # masks: no block takes them yet, so the layer stays whole

    def attend(x):
        return m.dropout1(m.self_attn(x, x, x, need_weights=False)[0])

    def feed_forward(x):
        return m.dropout2(m.linear2(m.dropout(m.activation(m.linear1(x)))))

    x = src
    if m.norm_first:
        x = x + attend(m.norm1(x))
        return x + feed_forward(m.norm2(x))
    x = m.norm1(x + attend(x))
    return m.norm2(x + feed_forward(x))


@expand_rule(nn.TransformerEncoder)
def _encoder(m, src, mask=None, src_key_padding_mask=None, is_causal=None):
    if mask is not None or src_key_padding_mask is not None or is_causal:
        return None
    x = src
    for layer in m.layers:
        x = layer(x)
    return x if m.norm is None else m.norm(x)
