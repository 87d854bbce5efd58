export * from './format.js';
export { encodePayload, type EncodedPayload } from './encode.js';
export { compileTemplate, rebuildInto, type CompiledTemplate, type SlotValues } from './rebuild.js';
export { PAYLOAD_MACROS_SQL, payloadExpr, TEMPLATE_COLUMNS_DDL, TEMPLATE_COLUMNS_SQL } from './sql.js';
