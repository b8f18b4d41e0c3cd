/* A small JSON reader: parses a whole document into a tree of nodes held in
 * one array (children linked by index).  Enough for metadata.json; no
 * globals. */
#ifndef POPEK_TESTS_CONFORMANCE_JSON_H
#define POPEK_TESTS_CONFORMANCE_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_node {
    enum json_type type;
    int key;     /* object members: offset of the NUL-terminated key in strings, else -1 */
    int str;     /* JSON_STRING: offset of the NUL-terminated value in strings */
    double num;  /* JSON_NUMBER */
    int first;   /* arrays/objects: first child node, -1 if empty */
    int next;    /* next sibling, -1 at the end */
};

struct json_doc {
    struct json_node *nodes;
    int nnodes, cap;
    char *strings; /* all keys and string values, NUL-separated */
    size_t slen, scap;
};

/* Parses text[0..len).  Returns 0 (root is node 0) or -1 with a message in err. */
int json_parse(const char *text, size_t len, struct json_doc *doc, char *err, size_t errlen);
void json_free(struct json_doc *doc);

/* The member of object node obj named key, or -1. */
int json_get(const struct json_doc *doc, int obj, const char *key);
static inline const char *json_key(const struct json_doc *doc, int n)
{
    return doc->nodes[n].key < 0 ? NULL : doc->strings + doc->nodes[n].key;
}
/* The string value of n, or NULL if n is not a string (or n < 0). */
const char *json_string(const struct json_doc *doc, int n);
/* The numeric value of n in *out; false if n is not a number. */
bool json_number(const struct json_doc *doc, int n, double *out);

#endif
