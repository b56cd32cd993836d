/**
 * SQL vocabulary for the tokenizer: which words are logic operators, statements, keywords,
 * comparison words and functions. Lower case; compiled into Maps/Sets once at load.
 */

/** Token types (one character each, in the spirit of libinjection's fingerprints). */
export const Tk = {
  string: 's',
  number: '1',
  bare: 'n',
  keyword: 'k',
  statement: 'E',
  union: 'U',
  func: 'f',
  op: 'o',
  compare: '=',
  logic: '&',
  not: '!',
  variable: 'v',
  comment: 'c',
  open: '(',
  close: ')',
  comma: ',',
  semi: ';',
  groupBy: 'B',
} as const;
export type TokenType = (typeof Tk)[keyof typeof Tk];

const words = (s: string): string[] => s.trim().split(/\s+/);

/** Words that join conditions. */
export const LOGIC = new Set(words('and or xor'));

/** Set operations that join two selects. */
export const UNION = new Set(words('union intersect except minus'));

/** Words that start a statement (what follows `;` in a stacked query). */
export const STATEMENT = new Set(
  words(`select insert update delete drop create alter truncate exec execute declare shutdown waitfor call
  grant revoke rename merge replace load handler kill backup restore dbcc deallocate prepare do set use show
  begin open fetch copy bulk`),
);

/** Comparison words (they take the place of `=`). */
export const COMPARE = new Set(words('like rlike regexp ilike glob match is in between sounds similar'));

/** Arithmetic words. */
export const ARITH = new Set(words('div mod'));

/** Literals that behave like numbers. */
export const LITERAL = new Set(
  words(`null true false unknown current_user current_date current_timestamp current_time utc_date utc_time
  utc_timestamp localtime localtimestamp`),
);

/** Other reserved words. */
export const KEYWORD = new Set(
  words(`from where as limit offset into values table database top distinct all any some exists having
  procedure asc desc join inner left right outer cross natural on using case when then else end collate escape
  with nowait delay time outfile dumpfile infile dual each row rows first next only partition over returning
  schema column index view function trigger mode boolean by for xml json path lines fields terminated enclosed
  to char character varchar nvarchar int integer signed unsigned binary decimal text`),
);

/** Functions an injection uses to pause the database (time-based blind). */
export const TIME_FUNCS = new Set(
  words(`sleep benchmark pg_sleep dbms_lock.sleep dbms_pipe.receive_message sys.dbms_pipe.receive_message
  randomblob generate_series user_lock.sleep pg_sleep_for pg_sleep_until dbms_session.sleep`),
);

/** Functions an injection uses to leak data through an error message. */
export const ERROR_FUNCS = new Set(
  words(`extractvalue updatexml xmltype exp name_const geometrycollection polygon multipoint multipolygon
  linestring multilinestring utl_inaddr.get_host_name utl_inaddr.get_host_address ctxsys.drithsx.sn
  dbms_xmlgen.getxml dbms_utility.sqlid_to_sqlhash ordsys.ord_dicom.getmappingxpath json_keys gtid_subset
  st_latfromgeohash st_longfromgeohash st_pointfromgeohash`),
);

/** Functions that read or write server files or reach the network. */
export const FILE_FUNCS = new Set(
  words(`load_file pg_read_file pg_read_binary_file pg_ls_dir lo_import lo_export utl_http.request
  utl_file.fopen dbms_ldap.init httpuritype.getclob sys_eval sys_exec xp_cmdshell xp_dirtree xp_fileexist
  xp_regread openrowset opendatasource`),
);

/** Functions that tell the attacker about the database (fingerprinting). */
export const INFO_FUNCS = new Set(
  words(`version user current_user session_user system_user database schema db_name user_name host_name
  suser_sname connection_id last_insert_id @@version sqlite_version pg_backend_pid`),
);

/**
 * Functions commonly seen in injections (string building, blind extraction, casts). A bare word
 * followed by `(` that is in this set (or the sets above) is a known SQL function.
 */
export const FUNCS = new Set(
  words(`ascii ord char chr nchar unhex hex concat concat_ws group_concat string_agg listagg substring substr
  mid left right length len char_length lower upper lcase ucase reverse replace repeat replicate space lpad
  rpad trim ltrim rtrim instr locate position charindex patindex strcmp elt field make_set export_set if
  iif ifnull isnull nullif coalesce nvl nvl2 decode case cast convert count sum min max avg abs floor ceil
  ceiling round rand random sign pow power sqrt mod md5 sha1 sha2 crc32 aes_encrypt aes_decrypt
  encode compress uncompress bin oct conv format soundex quote from_base64 to_base64 weight_string
  cot cos sin tan pi least greatest row exists not bit_length octet_length json_extract regexp_substring
  regexp_like regexp_replace to_char to_number to_date utl_raw.cast_to_varchar2 rawtohex dbms_random.value
  crypt_key hextoraw xmlagg xmlelement waitfor current_setting pg_database_size quote_ident
  table_name column_name object_id object_name col_name has_dbaccess is_srvrolemember is_member fn_varbintohexstr
  char_length character_length unicode sysdate now utc_time sysdatetime getdate datalength typeof glob
  load_extension zeroblob printf instr substring_index collation charset coercibility benchmark sleep`),
);

/** Tables and schemas that hold the database's own catalogue. */
export const SYSTEM_TABLES = new Set(
  words(`information_schema information_schema.tables information_schema.columns information_schema.schemata
  information_schema.routines information_schema.processlist information_schema.character_sets
  information_schema.user_privileges mysql.user mysql.db sysobjects syscolumns sysusers sysdatabases
  syslogins sys.objects sys.tables sys.columns sys.databases sys.sql_logins sys.server_principals
  master..sysdatabases master..syslogins master.dbo.sysdatabases pg_catalog pg_shadow pg_user pg_tables
  pg_database pg_class pg_namespace pg_proc pg_stat_activity all_tables all_tab_columns all_users
  user_tables user_tab_columns user_objects dba_tables dba_users v$version v$instance sqlite_master
  sqlite_schema msysobjects msysaccessobjects sysibm.systables sysibm.sysdummy1 sysibm.syscolumns
  rdb$database rdb$relations domain.domains`),
);

/** Statement words that are strong on their own after `;` (need little context). */
export const DDL_OBJECTS = new Set(
  words('table database procedure function view index user schema trigger login column event tablespace'),
);
