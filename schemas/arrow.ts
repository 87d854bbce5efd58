/** Arrow schemas derived from TABLES (the single definition). Used by readers that hand Arrow to callers. */
import { Binary, Bool, Field, Float64, Int32, Int64, Schema, Uint64, Utf8, type DataType } from 'apache-arrow';
import { SCHEMA_VERSION, TABLES, type ColumnType, type TableName } from './tables.js';

function arrowType(t: ColumnType): DataType {
  switch (t) {
    case 'VARCHAR':
      return new Utf8();
    case 'BIGINT':
      return new Int64();
    case 'UBIGINT':
      return new Uint64();
    case 'INTEGER':
      return new Int32();
    case 'DOUBLE':
      return new Float64();
    case 'BOOLEAN':
      return new Bool();
    case 'BLOB':
      return new Binary();
  }
}

export function arrowSchema(table: TableName): Schema {
  const fields = TABLES[table].map((c) => new Field(c.name, arrowType(c.type), c.nullable));
  return new Schema(fields, new Map([['ticktape.schema_version', String(SCHEMA_VERSION)], ['ticktape.table', table]]));
}
