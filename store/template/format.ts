/**
 * The payload template format of sealed raw files: a frame's bytes stored as a template plus its
 * varying values, rebuilt byte for byte when read.
 *
 * What real feeds repeat is structure: every frame of a stream has the same keys, punctuation and
 * most of its text; what changes are values (sequence numbers, times, prices, sizes). A frame is
 * split into literal text and holes (every string value and every number or bare token; object
 * keys stay literal). The template is the literal text with a marker where each hole was — control
 * characters valid JSON never holds unescaped (frames holding them are stored as they are):
 *
 *   U+001F              a rest hole: its text is the next U+001F-separated field of `rest`
 *   U+001E <c>          a canonical integer kept in slot n<c−48> (a BIGINT column: delta-encoded)
 *   U+001D <c>          a canonical non-negative decimal kept in slot n<c−48> as mantissa × 16 +
 *                       digits after the point ("0.0867" → 867 × 16 + 4)
 *
 * Integers always get a slot (the first TEMPLATE_SLOTS of them); decimals only in frames with at most
 * TEMPLATE_SLOTS holes (trades: their prices and sizes compress far better as numbers), while in
 * larger frames (books) decimals stay in `rest`, where zstd finds the previous frame's levels as they
 * shift. Binary frames whose tail is JSON text (MQTT PUBLISH) keep their head bytes in `pre`.
 * The template column repeats per stream (dictionary-encoded: nearly free), the slots are
 * delta-encoded integers, `rest` is short zstd text. See ARCHITECTURE.md ("Payload templates").
 */

/** Integer slots per frame (columns n0..n15). */
export const TEMPLATE_SLOTS = 16;
/** Holes per frame beyond which the rest of the frame stays literal. */
export const MAX_TEMPLATE_HOLES = 2048;
/** Marker of a rest hole in a template, and separator of `rest` fields. */
export const SEP = '\x1f';
export const SEP_CODE = 0x1f;
/** Marker of an integer slot hole (followed by the slot character). */
export const INT_MARK = '\x1e';
export const INT_MARK_CODE = 0x1e;
/** Marker of a decimal slot hole (followed by the slot character). */
export const DEC_MARK = '\x1d';
export const DEC_MARK_CODE = 0x1d;
/** Slot index c is written as the character c + SLOT_CHAR_BASE. */
export const SLOT_CHAR_BASE = 48;
/** Largest decimal scale kept in a slot (4 bits). */
export const MAX_DECIMAL_SCALE = 15;

/** Names of the storage columns a templated raw file has besides the raw table's own columns. */
export const SLOT_COLUMNS: readonly string[] = Array.from({ length: TEMPLATE_SLOTS }, (_, k) => `n${k}`);
export const TEMPLATE_COLUMNS: readonly string[] = ['tpl', 'pre', 'rest', ...SLOT_COLUMNS, 'rank'];

/** Key-value metadata naming the payload codec of a raw file (absent: payloads stored as they are). */
export const PAYLOAD_CODEC_META = 'ticktape.payload_codec';
export const PAYLOAD_CODEC = 'template-1';
