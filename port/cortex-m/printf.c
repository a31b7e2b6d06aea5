/*
 * printf.c - snprintf and vsnprintf for the bare-metal boards.
 *
 * newlib-nano's snprintf shares its output routine with asprintf, which grows
 * its buffer with realloc: linking snprintf links malloc and _sbrk. These two
 * replace newlib's (an object file wins over the library) and never allocate.
 *
 * Supported: flags '-' '0' '+' ' ', width and precision (numbers or '*'),
 * lengths hh h l ll z j t, conversions d i u x X o c s p %. No floating point
 * (the client prints none). C99 return value: the length the whole output
 * would have had; the buffer always ends with a NUL when size > 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  char *buf;
  size_t size;
  size_t len; /* characters produced so far, stored or not */
} out_t;

static void put(out_t *o, char c) {
  if (o->len + 1 < o->size) o->buf[o->len] = c;
  o->len++;
}

static void pad(out_t *o, char c, int n) {
  while (n-- > 0)
    put(o, c);
}

/* Emits s[n] right- or left-justified in width. */
static void field(out_t *o, const char *s, size_t n, int width, int left) {
  int fill = width > (int)n ? width - (int)n : 0;

  if (!left) pad(o, ' ', fill);
  for (size_t i = 0; i < n; i++)
    put(o, s[i]);
  if (left) pad(o, ' ', fill);
}

/* Emits an integer: sign or prefix, zeros up to the precision (or the width
 * with the '0' flag), then the digits. */
static void number(out_t *o, uintmax_t v, const char *prefix, unsigned base, int upper, int width,
                   int prec, int left, int zero) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];
  int n = 0, plen = (int)strlen(prefix), zeros, fill;

  while (v) {
    tmp[n++] = digits[v % base];
    v /= base;
  }
  if (prec < 0) prec = 1; /* "%d" of 0 prints "0", "%.0d" prints nothing */
  zeros = prec > n ? prec - n : 0;
  fill = width - plen - zeros - n;
  if (zero && !left && fill > 0) {
    zeros += fill;
    fill = 0;
  }
  if (!left) pad(o, ' ', fill);
  for (int i = 0; i < plen; i++)
    put(o, prefix[i]);
  pad(o, '0', zeros);
  while (n)
    put(o, tmp[--n]);
  if (left) pad(o, ' ', fill);
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap) {
  out_t o = {buf, size, 0};

  for (; *fmt; fmt++) {
    int left = 0, zero = 0, width = 0, prec = -1;
    char sign = 0, len = 0;

    if (*fmt != '%') {
      put(&o, *fmt);
      continue;
    }
    for (;; fmt++) { /* flags */
      if (fmt[1] == '-')
        left = 1;
      else if (fmt[1] == '0')
        zero = 1;
      else if (fmt[1] == '+')
        sign = '+';
      else if (fmt[1] == ' ')
        sign = sign ? sign : ' ';
      else
        break;
    }
    fmt++;
    if (*fmt == '*') {
      width = va_arg(ap, int);
      if (width < 0) {
        left = 1;
        width = -width;
      }
      fmt++;
    } else {
      while (*fmt >= '0' && *fmt <= '9')
        width = width * 10 + (*fmt++ - '0');
    }
    if (*fmt == '.') {
      fmt++;
      prec = 0;
      if (*fmt == '*') {
        prec = va_arg(ap, int);
        fmt++;
      } else {
        while (*fmt >= '0' && *fmt <= '9')
          prec = prec * 10 + (*fmt++ - '0');
      }
    }
    /* Length: 'H' hh, 'h', 'l', 'L' ll, 'z', 'j', 't'. */
    if (*fmt == 'h' || *fmt == 'l') {
      len = *fmt++;
      if (*fmt == len) {
        len = len == 'h' ? 'H' : 'L';
        fmt++;
      }
    } else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't') {
      len = *fmt++;
    }

    switch (*fmt) {
    case 'd':
    case 'i': {
      intmax_t v;
      char pre[2] = {0, 0};
      if (len == 'l')
        v = va_arg(ap, long);
      else if (len == 'L')
        v = va_arg(ap, long long);
      else if (len == 'z' || len == 't')
        v = va_arg(ap, ptrdiff_t);
      else if (len == 'j')
        v = va_arg(ap, intmax_t);
      else
        v = va_arg(ap, int);
      if (len == 'h') v = (short)v;
      if (len == 'H') v = (signed char)v;
      pre[0] = v < 0 ? '-' : sign;
      number(&o, v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v, pre, 10, 0, width, prec, left,
             zero);
      break;
    }
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
      uintmax_t v;
      if (len == 'l')
        v = va_arg(ap, unsigned long);
      else if (len == 'L')
        v = va_arg(ap, unsigned long long);
      else if (len == 'z' || len == 't')
        v = va_arg(ap, size_t);
      else if (len == 'j')
        v = va_arg(ap, uintmax_t);
      else
        v = va_arg(ap, unsigned);
      if (len == 'h') v = (unsigned short)v;
      if (len == 'H') v = (unsigned char)v;
      number(&o, v, "",
             *fmt == 'o'   ? 8
             : *fmt == 'u' ? 10
                           : 16,
             *fmt == 'X', width, prec, left, zero);
      break;
    }
    case 'p':
      number(&o, (uintptr_t)va_arg(ap, void *), "0x", 16, 0, width, prec, left, 0);
      break;
    case 'c': {
      char c = (char)va_arg(ap, int);
      field(&o, &c, 1, width, left);
      break;
    }
    case 's': {
      const char *s = va_arg(ap, const char *);
      size_t n = 0;
      if (!s) s = "(null)";
      while ((prec < 0 || n < (size_t)prec) && s[n])
        n++; /* no strlen: s may not end */
      field(&o, s, n, width, left);
      break;
    }
    case '%':
      put(&o, '%');
      break;
    default: /* unknown conversion: print it as it is */
      put(&o, '%');
      if (!*fmt) goto done;
      put(&o, *fmt);
      break;
    }
  }
done:
  if (size) buf[o.len < size ? o.len : size - 1] = '\0';
  return o.len > INT32_MAX ? -1 : (int)o.len;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...) {
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}
