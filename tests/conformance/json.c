/* A small recursive-descent JSON reader (see json.h). */
#include "tests/conformance/json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

struct parser {
    const char *p, *end, *start;
    struct json_doc *doc;
    char *err;
    size_t errlen;
    bool failed;
};

static int perr(struct parser *ps, const char *fmt, ...)
{
    if (!ps->failed) {
        char msg[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(ps->err, ps->errlen, "JSON offset %zu: %s", (size_t)(ps->p - ps->start), msg);
        ps->failed = true;
    }
    return -1;
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int new_node(struct parser *ps, enum json_type type)
{
    struct json_doc *d = ps->doc;
    if (d->nnodes == d->cap) {
        int cap = d->cap ? d->cap * 2 : 256;
        struct json_node *n = realloc(d->nodes, (size_t)cap * sizeof(*n));
        if (!n)
            return perr(ps, "out of memory");
        d->nodes = n;
        d->cap = cap;
    }
    int i = d->nnodes++;
    d->nodes[i] = (struct json_node){ type, -1, -1, 0, -1, -1 };
    return i;
}

static int put_char(struct parser *ps, char c)
{
    struct json_doc *d = ps->doc;
    if (d->slen == d->scap) {
        size_t cap = d->scap ? d->scap * 2 : 1024;
        char *s = realloc(d->strings, cap);
        if (!s)
            return perr(ps, "out of memory");
        d->strings = s;
        d->scap = cap;
    }
    d->strings[d->slen++] = c;
    return 0;
}

static int put_utf8(struct parser *ps, uint32_t cp)
{
    if (cp < 0x80)
        return put_char(ps, (char)cp);
    if (cp < 0x800)
        return put_char(ps, (char)(0xC0 | cp >> 6)) | put_char(ps, (char)(0x80 | (cp & 0x3F)));
    if (cp < 0x10000)
        return put_char(ps, (char)(0xE0 | cp >> 12)) | put_char(ps, (char)(0x80 | (cp >> 6 & 0x3F))) |
               put_char(ps, (char)(0x80 | (cp & 0x3F)));
    return put_char(ps, (char)(0xF0 | cp >> 18)) | put_char(ps, (char)(0x80 | (cp >> 12 & 0x3F))) |
           put_char(ps, (char)(0x80 | (cp >> 6 & 0x3F))) | put_char(ps, (char)(0x80 | (cp & 0x3F)));
}

static int hex4(struct parser *ps, uint32_t *out)
{
    if (ps->end - ps->p < 4)
        return perr(ps, "truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *ps->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return perr(ps, "bad \\u escape");
    }
    *out = v;
    return 0;
}

/* Parses a string at ps->p (which is at the opening quote) into the string
 * area; returns its offset or -1. */
static int parse_string(struct parser *ps)
{
    ps->p++; /* opening quote */
    size_t off = ps->doc->slen;
    if (off > INT32_MAX)
        return perr(ps, "document too large");
    for (;;) {
        if (ps->p >= ps->end)
            return perr(ps, "unterminated string");
        unsigned char c = (unsigned char)*ps->p++;
        if (c == '"')
            break;
        if (c < 0x20)
            return perr(ps, "control character in string");
        if (c != '\\') {
            if (put_char(ps, (char)c) < 0)
                return -1;
            continue;
        }
        if (ps->p >= ps->end)
            return perr(ps, "unterminated escape");
        char e = *ps->p++;
        char out;
        switch (e) {
        case '"': out = '"'; break;
        case '\\': out = '\\'; break;
        case '/': out = '/'; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (hex4(ps, &cp) < 0)
                return -1;
            if (cp >= 0xD800 && cp < 0xDC00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
                ps->p[1] == 'u') {
                ps->p += 2;
                if (hex4(ps, &lo) < 0)
                    return -1;
                if (lo >= 0xDC00 && lo < 0xE000)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else
                    cp = 0xFFFD;
            } else if (cp >= 0xD800 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            if (cp == 0)
                return perr(ps, "\\u0000 in string");
            if (put_utf8(ps, cp) < 0)
                return -1;
            continue;
        }
        default:
            return perr(ps, "bad escape \\%c", e);
        }
        if (put_char(ps, out) < 0)
            return -1;
    }
    if (put_char(ps, 0) < 0)
        return -1;
    return (int)off;
}

static int parse_value(struct parser *ps, int depth);

static int parse_container(struct parser *ps, int depth, bool object)
{
    int node = new_node(ps, object ? JSON_OBJECT : JSON_ARRAY);
    if (node < 0)
        return -1;
    ps->p++; /* [ or { */
    skip_ws(ps);
    char close = object ? '}' : ']';
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return node;
    }
    int last = -1;
    for (;;) {
        int key = -1;
        skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"')
                return perr(ps, "expected a member name");
            key = parse_string(ps);
            if (key < 0)
                return -1;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return perr(ps, "expected ':'");
            ps->p++;
        }
        int child = parse_value(ps, depth + 1);
        if (child < 0)
            return -1;
        ps->doc->nodes[child].key = key;
        if (last < 0)
            ps->doc->nodes[node].first = child;
        else
            ps->doc->nodes[last].next = child;
        last = child;
        skip_ws(ps);
        if (ps->p >= ps->end)
            return perr(ps, "unterminated %s", object ? "object" : "array");
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == close) {
            ps->p++;
            return node;
        }
        return perr(ps, "expected ',' or '%c'", close);
    }
}

static int parse_number(struct parser *ps)
{
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return perr(ps, "bad number");
    while (ps->p < ps->end && ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.' || *ps->p == 'e' ||
                               *ps->p == 'E' || *ps->p == '+' || *ps->p == '-'))
        ps->p++;
    char buf[64];
    size_t n = (size_t)(ps->p - s);
    if (n >= sizeof(buf))
        return perr(ps, "number too long");
    memcpy(buf, s, n);
    buf[n] = 0;
    char *endp;
    double v = strtod(buf, &endp);
    if (*endp)
        return perr(ps, "bad number '%s'", buf);
    int node = new_node(ps, JSON_NUMBER);
    if (node >= 0)
        ps->doc->nodes[node].num = v;
    return node;
}

static int parse_literal(struct parser *ps, const char *word, enum json_type type)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return perr(ps, "unexpected character");
    ps->p += n;
    return new_node(ps, type);
}

static int parse_value(struct parser *ps, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return perr(ps, "nested too deeply");
    skip_ws(ps);
    if (ps->p >= ps->end)
        return perr(ps, "unexpected end");
    switch (*ps->p) {
    case '{':
        return parse_container(ps, depth, true);
    case '[':
        return parse_container(ps, depth, false);
    case '"': {
        int node = new_node(ps, JSON_STRING);
        if (node < 0)
            return -1;
        int s = parse_string(ps);
        if (s < 0)
            return -1;
        ps->doc->nodes[node].str = s;
        return node;
    }
    case 't':
        return parse_literal(ps, "true", JSON_TRUE);
    case 'f':
        return parse_literal(ps, "false", JSON_FALSE);
    case 'n':
        return parse_literal(ps, "null", JSON_NULL);
    default:
        return parse_number(ps);
    }
}

int json_parse(const char *text, size_t len, struct json_doc *doc, char *err, size_t errlen)
{
    memset(doc, 0, sizeof(*doc));
    struct parser ps = { text, text + len, text, doc, err, errlen, false };
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
        ps.p += 3;
    int root = parse_value(&ps, 0);
    if (root == 0) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            root = perr(&ps, "trailing characters");
    }
    if (root != 0) {
        json_free(doc);
        return -1;
    }
    return 0;
}

void json_free(struct json_doc *doc)
{
    free(doc->nodes);
    free(doc->strings);
    memset(doc, 0, sizeof(*doc));
}

int json_get(const struct json_doc *doc, int obj, const char *key)
{
    if (obj < 0 || doc->nodes[obj].type != JSON_OBJECT)
        return -1;
    for (int c = doc->nodes[obj].first; c >= 0; c = doc->nodes[c].next)
        if (!strcmp(doc->strings + doc->nodes[c].key, key))
            return c;
    return -1;
}

const char *json_string(const struct json_doc *doc, int n)
{
    if (n < 0 || doc->nodes[n].type != JSON_STRING)
        return NULL;
    return doc->strings + doc->nodes[n].str;
}

bool json_number(const struct json_doc *doc, int n, double *out)
{
    if (n < 0 || doc->nodes[n].type != JSON_NUMBER)
        return false;
    *out = doc->nodes[n].num;
    return true;
}
