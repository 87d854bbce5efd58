/** Version of the on-disk schemas. Bump on any column change; sealed files carry it in their metadata and name. */
export const SCHEMA_VERSION = 1;
/** Journal segment format version (first bytes of every segment). */
export const JOURNAL_FORMAT_VERSION = 1;
