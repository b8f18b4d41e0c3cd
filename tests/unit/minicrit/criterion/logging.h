/* See criterion.h: the logging macros are there. */
#include "criterion/criterion.h"
