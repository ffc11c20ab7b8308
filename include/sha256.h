/* sha256.h - SHA-256 (FIPS 180-4), for the policy file's digest that
 * verdictctl status shows: the same as sha256sum prints for the file. */
#ifndef VD_SHA256_H
#define VD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 65		/* 64 hex digits and the NUL */

void sha256(const void *data, size_t len, uint8_t out[32]);
/* The digest of @data in lowercase hex. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN]);

#endif
