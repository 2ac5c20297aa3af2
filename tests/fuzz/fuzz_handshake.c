/*
 * fuzz_handshake: msg1 and msg2 parsing with fixed keys (libFuzzer).
 *
 * The first input byte picks the target; the rest is the message or payload:
 *   0  raw msg1 to a keys-mode responder     2  raw msg2 to an initiator waiting for it
 *   1  raw msg1 to a psk-mode responder      3  a well-formed msg1 whose sealed payload
 *                                               is the input (reaches the payload parser)
 *                                            4  a well-formed msg2, sealed payload = input
 * Targets 3 and 4 seal the input with the real handshake keys, so the parser behind the
 * MAC is exercised too; the harness checks once at start that a good payload is accepted.
 */
/* fuzz-sources: src/crypto.c src/aead.c src/vaes.c src/gcm_vaes.c src/aegis.c src/noise.c src/buf.c src/log.c */
/* fuzz-libs: libsodium libcrypto@HAVE_OPENSSL */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "noise.h"

#define PAYLOAD1_LEN 43 /* version, timestamp, cipher set, n, opaque (crypto.c) */
#define PAYLOAD2_LEN 36

static struct crypto_id cid, sid, pid;
static struct crypto_peer cpeer, speer, ppeer;
static uint8_t cpriv[32], spriv[32];
static int ready;

/* mac1 as crypto.c computes it: BLAKE2b-128 keyed by BLAKE2b-256("mptun mac1" || pub). */
static void
put_mac1(uint8_t m1[CRYPTO_MSG1_LEN], const uint8_t pub[32])
{
	uint8_t key[32], in[10 + 32];

	memcpy(in, "mptun mac1", 10);
	memcpy(in + 10, pub, 32);
	crypto_generichash(key, 32, in, sizeof(in), NULL, 0);
	crypto_generichash(m1 + CRYPTO_MSG1_LEN - 16, 16, m1, CRYPTO_MSG1_LEN - 16, key, 32);
}

/* A keys-mode msg1 from the fixed initiator with an arbitrary payload plaintext. */
static void
craft_msg1(uint8_t m1[CRYPTO_MSG1_LEN], const uint8_t pl[PAYLOAD1_LEN])
{
	struct noise_hs nz;
	uint8_t pro[9] = "mptun-v1";
	size_t n;

	pro[8] = CRYPTO_MSG_INIT_KEYS;
	noise_init(&nz, NOISE_IKPSK2, 1, pro, sizeof(pro), cpriv, sid.pub, cid.psk);
	m1[0] = CRYPTO_MSG_INIT_KEYS;
	noise_write(&nz, pl, PAYLOAD1_LEN, m1 + 1, CRYPTO_MSG1_LEN - 17, &n);
	put_mac1(m1, sid.pub);
	noise_wipe(&nz);
}

static void
setup(void)
{
	uint8_t spub[32], cpub[32], psk[32], m1[CRYPTO_MSG1_LEN], pl[PAYLOAD1_LEN] = {0};
	uint8_t out[CRYPTO_HS_PAYLOAD_MAX];
	struct crypto_peer peer;
	struct crypto_hs hs;
	size_t plen;

	if (crypto_init() == -1)
		abort();
	memset(cpriv, 1, 32);
	memset(spriv, 2, 32);
	memset(psk, 3, 32);
	crypto_pubkey(cpub, cpriv);
	crypto_pubkey(spub, spriv);
	crypto_id_init(&cid, cpriv, NULL, CRYPTO_CIPHER_AUTO);
	crypto_id_init(&sid, spriv, NULL, CRYPTO_CIPHER_AUTO);
	crypto_id_init(&pid, NULL, psk, CRYPTO_CIPHER_AUTO);
	crypto_peer_init(&cpeer, spub);
	crypto_peer_init(&speer, cpub);
	crypto_peer_init(&ppeer, NULL);
	/* sanity: a crafted, well-formed msg1 is accepted */
	pl[0] = 1;
	pl[8] = 1;
	pl[9] = 0x02;
	craft_msg1(m1, pl);
	peer = speer; /* a copy: the replay state of speer stays empty */
	if (crypto_hs_respond(&hs, &sid, &peer, 1, m1, out, &plen) != CRYPTO_OK)
		abort();
	ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t m1[CRYPTO_MSG1_LEN], m2[CRYPTO_MSG2_LEN], pl[64], out[CRYPTO_HS_PAYLOAD_MAX];
	struct crypto_hs hs, hs2;
	struct crypto_peer peer;
	size_t plen, n;

	if (!ready)
		setup();
	if (size < 1)
		return 0;
	memset(m1, 0, sizeof(m1));
	memset(m2, 0, sizeof(m2));
	memset(pl, 0, sizeof(pl));
	switch (data[0] % 5) {
	case 0:
	case 1:
		memcpy(m1, data + 1, size - 1 < sizeof(m1) ? size - 1 : sizeof(m1));
		peer = data[0] % 5 ? ppeer : speer;
		crypto_hs_respond(&hs, data[0] % 5 ? &pid : &sid, &peer, 1, m1, out, &plen);
		break;
	case 2:
		memcpy(m2, data + 1, size - 1 < sizeof(m2) ? size - 1 : sizeof(m2));
		peer = cpeer;
		crypto_hs_initiate(&hs, &cid, &peer, 1, NULL, 0, m1);
		crypto_hs_finish(&hs, m2, out, &plen);
		break;
	case 3:
		memcpy(pl, data + 1, size - 1 < PAYLOAD1_LEN ? size - 1 : PAYLOAD1_LEN);
		craft_msg1(m1, pl);
		peer = speer;
		if (crypto_hs_respond(&hs, &sid, &peer, 1, m1, out, &plen) == CRYPTO_OK &&
		    plen > CRYPTO_HS_PAYLOAD_MAX)
			abort();
		break;
	case 4:
		/* a real msg1, then a msg2 from the real responder state with our payload */
		peer = cpeer;
		crypto_hs_initiate(&hs, &cid, &peer, 1, NULL, 0, m1);
		{
			struct crypto_peer sp = speer;

			if (crypto_hs_respond(&hs2, &sid, &sp, 1, m1, out, &plen) != CRYPTO_OK)
				abort();
			memcpy(pl, data + 1, size - 1 < PAYLOAD2_LEN ? size - 1 : PAYLOAD2_LEN);
			m2[0] = CRYPTO_MSG_RESP;
			noise_write(&hs2.nz, pl, PAYLOAD2_LEN, m2 + 1, sizeof(m2) - 1, &n);
		}
		if (crypto_hs_finish(&hs, m2, out, &plen) == CRYPTO_OK) {
			struct crypto_rec tx = {0}, rx = {0};

			if (plen > CRYPTO_HS_PAYLOAD_MAX ||
			    crypto_hs_split(&hs, &tx, &rx) != CRYPTO_OK)
				abort();
			crypto_rec_wipe(&tx);
			crypto_rec_wipe(&rx);
		}
		break;
	}
	return 0;
}
