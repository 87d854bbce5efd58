export * from './format.js';
export { encodePayload, type EncodedPayload } from './encode.js';
export { compileTemplate, rebuildInto, type CompiledTemplate, type SlotValues } from './rebuild.js';
export { PAYLOAD_MACROS_SQL, payloadExpr, rawRowsSql, TEMPLATE_COLUMNS_DDL, TEMPLATE_COLUMNS_SQL, TEMPLATE_EMPTY_TABLE, TEMPLATE_EMPTY_TABLE_SQL } from './sql.js';
export { valueBuilder, type ValueBuilder } from './build-value.js';
