# Turns schema/NNN_name.sql files into a C array of migrations (schema_data.c).
# Invoked at build time: cmake -DOUT=file.c -DSCHEMA_DIR=dir [-DVAR=name] -P embed_schema.cmake
# VAR names the arrays (<VAR>_migrations, <VAR>_migration_count): "schema"
# for SQLite's schema/, "pg_schema" for PostgreSQL's schema/pg/.
if(NOT VAR)
  set(VAR schema)
endif()
file(GLOB FILES "${SCHEMA_DIR}/[0-9][0-9][0-9]_*.sql")
list(SORT FILES)
set(body "/* Generated from the schema directory by cmake/embed_schema.cmake. Do not edit. */\n")
string(APPEND body "#include \"schema.h\"\n\nconst struct schema_migration ${VAR}_migrations[] = {\n")
set(count 0)
foreach(f ${FILES})
  get_filename_component(name ${f} NAME)
  string(SUBSTRING ${name} 0 3 ver)
  math(EXPR ver "1${ver} - 1000")
  file(READ "${f}" sql)
  string(REPLACE "\r" "" sql "${sql}")
  string(REPLACE "\\" "\\\\" sql "${sql}")
  # "??" would start a trigraph in C11 mode: "?\?" is the same two characters.
  string(REPLACE "??" "?\\?" sql "${sql}")
  string(REPLACE "\"" "\\\"" sql "${sql}")
  string(REPLACE "\n" "\\n\"\n\"" sql "${sql}")
  string(APPEND body "  { ${ver}, \"${name}\",\n\"${sql}\" },\n")
  math(EXPR count "${count} + 1")
endforeach()
string(APPEND body "};\nconst int ${VAR}_migration_count = ${count};\n")
file(WRITE ${OUT} "${body}")
