/*
 * crypto_speed: record-layer throughput, seal + open of one record on one core, per cipher
 * and record size; and handshakes per second. Run: tests/bench/crypto_speed [seconds]
 * (default 0.5 per case). Prints the library that seals records (src/aead.h), then MB/s of
 * plaintext (1 MB = 10^6 bytes).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "aead.h"
#include "crypto.h"

static uint8_t plain[CRYPTO_RECORD_MAX];
static uint8_t wire[CRYPTO_RECORD_MAX + CRYPTO_RECORD_OVERHEAD];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
connect_pair(struct crypto_id *ci, struct crypto_id *si, struct crypto_peer *cp,
	     struct crypto_peer *sp, uint64_t t, struct crypto_rec r[4])
{
	uint8_t m1[CRYPTO_MSG1_LEN], m2[CRYPTO_MSG2_LEN], pl[CRYPTO_HS_PAYLOAD_MAX];
	struct crypto_hs c, s;
	size_t plen;

	if (crypto_hs_initiate(&c, ci, cp, t, NULL, 0, m1) != CRYPTO_OK ||
	    crypto_hs_respond(&s, si, sp, 1, m1, pl, &plen) != CRYPTO_OK ||
	    crypto_hs_reply(&s, NULL, 0, m2) != CRYPTO_OK ||
	    crypto_hs_finish(&c, m2, pl, &plen) != CRYPTO_OK ||
	    crypto_hs_split(&c, &r[0], &r[1]) != CRYPTO_OK ||
	    crypto_hs_split(&s, &r[2], &r[3]) != CRYPTO_OK)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const enum crypto_cipher ciphers[] = {CRYPTO_CIPHER_CHACHA20POLY1305,
						     CRYPTO_CIPHER_AES256GCM,
						     CRYPTO_CIPHER_AEGIS256X4, CRYPTO_CIPHER_NONE};
	static const size_t sizes[] = {1400, 16000, 65535};
	double secs = argc > 1 ? atof(argv[1]) : 0.5;
	uint8_t cpriv[32], spriv[32], cpub[32], spub[32];
	struct crypto_id ci, si;
	struct crypto_peer cp, sp;
	struct crypto_rec r[4] = {0}; /* empty: crypto_hs_split releases what they hold */
	size_t i, j;
	double t0, t;
	long n;

	if (crypto_init() == -1)
		return 1;
	crypto_genkey(cpriv);
	crypto_genkey(spriv);
	crypto_pubkey(cpub, cpriv);
	crypto_pubkey(spub, spriv);
	memset(plain, 0x5a, sizeof(plain));
	printf("records sealed by %s %s (AES-GCM: %s)\n", aead_backend(), aead_backend_version(),
	       aead_aes_impl());

	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		if (!crypto_cipher_usable(ciphers[i])) {
			printf("%-17s not available on this CPU\n", crypto_cipher_name(ciphers[i]));
			continue;
		}
		crypto_id_init(&ci, cpriv, NULL, ciphers[i]);
		crypto_id_init(&si, spriv, NULL, ciphers[i]);
		crypto_peer_init(&cp, spub);
		crypto_peer_init(&sp, cpub);
		if (connect_pair(&ci, &si, &cp, &sp, 1, r) == -1) {
			fprintf(stderr, "handshake failed\n");
			return 1;
		}
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			uint8_t *p;
			size_t w, plen;

			n = 0;
			t0 = now_s();
			do {
				int k;

				for (k = 0; k < 64; k++, n++) {
					w = crypto_seal(&r[0], 1, plain, sizes[j], wire);
					if (crypto_open(&r[3], wire, w, &p, &plen) != CRYPTO_OK) {
						fprintf(stderr, "open failed\n");
						return 1;
					}
				}
				t = now_s() - t0;
			} while (t < secs);
			printf("%-17s %6zu bytes: seal+open %8.0f MB/s  (%.0f records/s)\n",
			       crypto_cipher_name(ciphers[i]), sizes[j],
			       (double)n * (double)sizes[j] / t / 1e6, (double)n / t);
		}
	}

	/* Handshakes: both sides' work for one connection. */
	crypto_id_init(&ci, cpriv, NULL, CRYPTO_CIPHER_AUTO);
	crypto_id_init(&si, spriv, NULL, CRYPTO_CIPHER_AUTO);
	crypto_peer_init(&cp, spub);
	crypto_peer_init(&sp, cpub);
	n = 0;
	t0 = now_s();
	do {
		if (connect_pair(&ci, &si, &cp, &sp, 1000 + (uint64_t)n, r) == -1)
			return 1;
		n++;
		t = now_s() - t0;
	} while (t < secs);
	printf("handshake (both sides, keys mode): %.0f per second\n", (double)n / t);
	for (i = 0; i < 4; i++)
		crypto_rec_wipe(&r[i]);
	crypto_id_wipe(&ci);
	crypto_id_wipe(&si);
	return 0;
}
