/*
 * fuzz_record: crypto_record_len and crypto_open on arbitrary input (libFuzzer).
 *
 * First byte: bits 0-1 pick the cipher (chacha20poly1305, aes256gcm, none, aegis256x4),
 * bit 7 picks the target. Target 0 feeds the rest as a stream of records to a receiver (a copy of a
 * fixed connection's state, crypto_rec_copy), as the connection code does: length, then
 * open in place.
 * Target 1 seals the rest as records (with a tiny rekey policy) and must open them again
 * byte for byte: a round-trip check across rekeys.
 */
// clang-format off
/* fuzz-sources: src/crypto.c src/aead.c src/vaes.c src/gcm_vaes.c src/aegis.c src/noise.c src/buf.c src/log.c */
// clang-format on
/* fuzz-libs: libsodium libcrypto@HAVE_OPENSSL */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"

static struct crypto_rec txs[4], rxs[4];
static int ready;
static uint8_t buf[CRYPTO_RECORD_MAX + CRYPTO_RECORD_OVERHEAD];

static void
setup(void)
{
	static const enum crypto_cipher ciphers[4] = {CRYPTO_CIPHER_CHACHA20POLY1305,
						      CRYPTO_CIPHER_AES256GCM, CRYPTO_CIPHER_NONE,
						      CRYPTO_CIPHER_AEGIS256X4};
	uint8_t cpriv[32], spriv[32], cpub[32], spub[32];
	uint8_t m1[CRYPTO_MSG1_LEN], m2[CRYPTO_MSG2_LEN], pl[CRYPTO_HS_PAYLOAD_MAX];
	struct crypto_id ci, si;
	struct crypto_peer cp, sp;
	struct crypto_hs c, s;
	struct crypto_rec spare = {0};
	size_t plen;
	int i;

	if (crypto_init() == -1)
		abort();
	memset(cpriv, 1, 32);
	memset(spriv, 2, 32);
	crypto_pubkey(cpub, cpriv);
	crypto_pubkey(spub, spriv);
	for (i = 0; i < 4; i++) {
		enum crypto_cipher cc = ciphers[i];

		if (!crypto_cipher_usable(cc))
			cc = CRYPTO_CIPHER_CHACHA20POLY1305;
		crypto_id_init(&ci, cpriv, NULL, cc);
		crypto_id_init(&si, spriv, NULL, cc);
		crypto_peer_init(&cp, spub);
		crypto_peer_init(&sp, cpub);
		if (crypto_hs_initiate(&c, &ci, &cp, 1, NULL, 0, m1) != CRYPTO_OK ||
		    crypto_hs_respond(&s, &si, &sp, 1, m1, pl, &plen) != CRYPTO_OK ||
		    crypto_hs_reply(&s, NULL, 0, m2) != CRYPTO_OK ||
		    crypto_hs_finish(&c, m2, pl, &plen) != CRYPTO_OK ||
		    crypto_hs_split(&c, &txs[i], &spare) != CRYPTO_OK ||
		    crypto_hs_split(&s, &spare, &rxs[i]) != CRYPTO_OK)
			abort();
	}
	crypto_rec_wipe(&spare);
	ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypto_rec tx = {0}, rx = {0};
	size_t off, total, plen, n, chunk;
	uint8_t *p;
	uint64_t now = 1;

	if (!ready)
		setup();
	if (size < 1)
		return 0;
	/* copies with their own cipher contexts: a rekey here must not touch the originals */
	if (crypto_rec_copy(&tx, &txs[data[0] & 3]) != CRYPTO_OK ||
	    crypto_rec_copy(&rx, &rxs[data[0] & 3]) != CRYPTO_OK)
		abort();
	if (!(data[0] & 0x80)) {
		/* a stream of records, parsed as the connection parses its input */
		for (off = 1; off < size;) {
			if (crypto_record_len(&rx, data + off, size - off, &total) != CRYPTO_OK)
				break;
			if (total > size - off)
				break;
			memcpy(buf, data + off, total);
			if (crypto_open(&rx, buf, total, &p, &plen) != CRYPTO_OK)
				break;
			if (p != buf + CRYPTO_RECORD_HDR || plen > CRYPTO_RECORD_MAX)
				abort();
			off += total;
		}
		goto out;
	}
	/* round trip: records of up to 255 bytes, rekeying every 3 records */
	crypto_rec_set_rekey(&tx, 0, 3, 0);
	for (off = 1; off < size; off += chunk) {
		chunk = data[off] + 1u;
		if (chunk > size - off)
			chunk = size - off;
		n = crypto_seal(&tx, now++, data + off, chunk, buf);
		if (n == 0 || crypto_record_len(&rx, buf, n, &total) != CRYPTO_OK || total != n ||
		    crypto_open(&rx, buf, n, &p, &plen) != CRYPTO_OK || plen != chunk ||
		    memcmp(p, data + off, chunk) != 0)
			abort();
	}
out:
	crypto_rec_wipe(&tx);
	crypto_rec_wipe(&rx);
	return 0;
}
