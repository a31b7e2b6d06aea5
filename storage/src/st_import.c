/* st_import.c - storage --import FILE: replaces the catalogue with the
 * file's, in one transaction, so a bad file (or a kill mid-way) changes
 * nothing. The file: one product a line, "vendor<TAB>type<TAB>title<TAB>url";
 * blank lines and lines starting with '#' are skipped. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api.pb.h"
#include "st_db_impl.h"

#define MAX_LINE 1024

/* Splits line into 4 tab-separated fields; returns a reason or NULL. */
static const char *split(char *line, char *f[4]) {
  static const size_t max[4] = {sizeof(((api_StorageRequest *)0)->vendor),
                                sizeof(((api_StorageRequest *)0)->productType),
                                sizeof(((api_Product *)0)->title), sizeof(((api_Product *)0)->url)};
  static const char *const names[4] = {"vendor", "type", "title", "url"};
  static char why[96];
  for (int k = 0; k < 4; k++) {
    f[k] = line;
    char *tab = strchr(line, '\t');
    if (k < 3 && !tab) return "expected 4 tab-separated fields: vendor, type, title, url";
    if (k == 3 && tab) return "more than 4 fields";
    if (tab) *tab = '\0';
    line = tab ? tab + 1 : line + strlen(line);
    if (!*f[k]) {
      snprintf(why, sizeof(why), "empty %s", names[k]);
      return why;
    }
    if (strlen(f[k]) >= max[k]) {
      snprintf(why, sizeof(why), "%s longer than %zu bytes", names[k], max[k] - 1);
      return why;
    }
  }
  for (char *p = f[0]; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  for (char *p = f[1]; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  if (strncmp(f[3], "http://", 7) != 0 && strncmp(f[3], "https://", 8) != 0)
    return "url must start with http:// or https://";
  return NULL;
}

int st_db_import(st_db_t *d, const char *path, char *err, size_t errlen) {
  FILE *in = fopen(path, "r");
  if (!in) {
    snprintf(err, errlen, "cannot open %s", path);
    return -1;
  }
  char line[MAX_LINE], why_db[256];
  int lineno = 0, n = 0, ok = d->ops->import_begin(d, err, errlen) == 0;
  while (ok && fgets(line, sizeof(line), in)) {
    lineno++;
    size_t l = strlen(line);
    if (l == sizeof(line) - 1 && line[l - 1] != '\n') {
      snprintf(err, errlen, "%s:%d: line longer than %d bytes", path, lineno, MAX_LINE - 2);
      ok = 0;
      break;
    }
    while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
      line[--l] = '\0';
    if (!l || line[0] == '#') continue;
    char *f[4];
    const char *why = split(line, f);
    if (why) {
      snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
      ok = 0;
      break;
    }
    if (d->ops->import_row(d, f, n, why_db, sizeof(why_db)) != 0) {
      snprintf(err, errlen, "%s:%d: %s", path, lineno, why_db);
      ok = 0;
    }
    n++;
  }
  if (ok && ferror(in)) {
    snprintf(err, errlen, "cannot read %s", path);
    ok = 0;
  }
  if (ok && n == 0) {
    snprintf(err, errlen, "%s: no products", path);
    ok = 0;
  }
  fclose(in);
  /* a commit that fails names the database's reason; a rollback keeps the
   * reason already given */
  if (d->ops->import_end(d, ok, ok ? err : why_db, ok ? errlen : sizeof(why_db)) != 0) ok = 0;
  return ok ? n : -1;
}
