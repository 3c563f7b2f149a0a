// Zoom levels at which the canvas changes how much it draws, derived from font sizes so
// that whatever is drawn can be read: text smaller than READABLE_PX on screen is a smudge.

/** The smallest on-screen text size (CSS px) still read without effort in Chromium. */
export const READABLE_PX = 4.2;
/** The smallest text in a full node (port names, shapes, params, formulas); styles.css. */
export const DETAIL_FONT_PX = 12;
/** The label of the simplified node drawn below FAR_ZOOM; styles.css. */
export const FAR_LABEL_PX = 30;

/** Below this zoom a node drops to its simplified view (type and label only). */
export const FAR_ZOOM = READABLE_PX / DETAIL_FONT_PX;
/** The simplified node's label stays readable down to this zoom. */
export const FAR_READABLE_ZOOM = READABLE_PX / FAR_LABEL_PX;
/** A body opens at this zoom or more: full detail, a little above the switch so that a
 * small zoom-out does not drop it to the simplified view. */
export const BODY_MIN_ZOOM = Math.min(1, FAR_ZOOM * 1.2);
