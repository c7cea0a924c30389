/* fuzz.h: what the fuzz targets share. A failed CHECK aborts, which
 * libFuzzer reports as a crash (and saves the input). */
#ifndef TCORE_FUZZ_H
#define TCORE_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
      abort();                                                                      \
    }                                                                               \
  } while (0)

/* Reads every byte of a buffer the core handed out, so ASan sees any read
 * past its end; the sum keeps the compiler from dropping the reads. */
static inline unsigned fuzz_touch(const void *p, size_t n) {
  const volatile uint8_t *b = p;
  unsigned s = 0;
  for (size_t i = 0; i < n; i++) s += b[i];
  return s;
}

/* Splits fuzz input into pieces: each piece is a length byte then that
 * many bytes (shorter at the end of the input). */
typedef struct fuzz_reader {
  const uint8_t *p;
  size_t left;
} fuzz_reader;

/* The next piece as a fresh NUL-terminated string (embedded NULs end it
 * early, as in C), or NULL when the input is used up. Free it. */
static inline char *fuzz_str(fuzz_reader *r, size_t *len_out) {
  if (!r->left) return NULL;
  size_t n = r->p[0];
  r->p++, r->left--;
  if (n > r->left) n = r->left;
  char *s = malloc(n + 1);
  if (!s) abort();
  memcpy(s, r->p, n);
  s[n] = 0;
  r->p += n, r->left -= n;
  if (len_out) *len_out = n;
  return s;
}

/* The next 8 bytes as an int64 (zero-padded at the end of the input). */
static inline int64_t fuzz_i64(fuzz_reader *r) {
  uint8_t b[8] = {0};
  size_t n = r->left < 8 ? r->left : 8;
  memcpy(b, r->p, n);
  r->p += n, r->left -= n;
  uint64_t u = 0;
  for (int i = 0; i < 8; i++) u = u << 8 | b[i];
  int64_t v;
  memcpy(&v, &u, sizeof v);
  return v;
}

#endif
