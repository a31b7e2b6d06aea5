/* st_catalogue.h - the article's catalogue, the seed of a new database. */
#ifndef ST_CATALOGUE_H
#define ST_CATALOGUE_H

#include <stddef.h>

typedef struct st_seed {
  const char *vendor, *type, *title, *url;
} st_seed_t;

extern const st_seed_t st_catalogue[];
extern const size_t st_catalogue_len;

#endif /* ST_CATALOGUE_H */
