/*
 * test_crypto: the Noise engine against published vectors, then mptun's handshake and
 * record layer: both modes, wrong and unknown keys, replays, tampering, truncation,
 * cross-connection records, rekeying by bytes, records and time, cipher negotiation, and
 * records byte for byte as plain libsodium calls make them, whichever library the build
 * seals with (src/aead.h). Built twice when libcrypto is used: test_crypto_sodium is this
 * file on the libsodium backend. Exit 0 pass, 1 fail.
 */
#include "config.h"

#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "aead.h"
#include "aegis.h"
#include "crypto.h"
#include "noise.h"

#include "crypto_vectors.h"

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_) {                                                                    \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__,  \
				#a, a_, b_);                                                       \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

#define NS 1000000000ull
#define T0 (1700000000ull * NS) /* a wall-clock time for msg1 timestamps */

/* Is c a record cipher (not none, not auto) that this CPU can run? */
static int
sealing_here(enum crypto_cipher c)
{
	return c != CRYPTO_CIPHER_AUTO && c != CRYPTO_CIPHER_NONE && crypto_cipher_usable(c);
}

static size_t
unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;

	if (sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL) != 0)
		abort();
	return n;
}

/* ---- Noise vectors ---- */

static void
transport(const uint8_t key[32], uint64_t n, const uint8_t *pt, size_t len, uint8_t *out)
{
	uint8_t nonce[12] = {0};
	int i;

	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, len, NULL, 0, NULL, nonce, key);
}

static void
test_vectors(void)
{
	uint8_t pro[64], ie[32], re[32], is[32], rs[32], rpub[32], psk[32];
	size_t prolen, v;

	prolen = unhex(pro, sizeof(pro), VEC_PROLOGUE);
	unhex(ie, 32, VEC_INIT_EPHEMERAL);
	unhex(re, 32, VEC_RESP_EPHEMERAL);
	unhex(is, 32, VEC_INIT_STATIC);
	unhex(rs, 32, VEC_RESP_STATIC);
	unhex(rpub, 32, VEC_RESP_PUBLIC);
	unhex(psk, 32, VEC_PSK);

	for (v = 0; v < sizeof(noise_vectors) / sizeof(noise_vectors[0]); v++) {
		const struct noise_vector *nv = &noise_vectors[v];
		struct noise_hs a, b;
		uint8_t pl[128], want[256], got[256], back[128];
		uint8_t ak1[32], ak2[32], bk1[32], bk2[32];
		size_t pllen, wantlen, gotlen, backlen;
		int m;

		CHECK(noise_init(&a, nv->pattern, 1, pro, prolen, nv->has_static ? is : NULL,
				 nv->has_static ? rpub : NULL, nv->has_psk ? psk : NULL) == 0);
		CHECK(noise_init(&b, nv->pattern, 0, pro, prolen, nv->has_static ? rs : NULL, NULL,
				 nv->has_psk ? psk : NULL) == 0);
		noise_set_ephemeral(&a, ie);
		noise_set_ephemeral(&b, re);
		for (m = 0; m < 2; m++) {
			struct noise_hs *tx = m == 0 ? &a : &b, *rx = m == 0 ? &b : &a;

			pllen = unhex(pl, sizeof(pl), vec_payloads[m]);
			wantlen = unhex(want, sizeof(want), nv->ciphertext[m]);
			CHECK(noise_write(tx, pl, pllen, got, sizeof(got), &gotlen) == 0);
			CHECK_EQ(gotlen, wantlen);
			CHECK(gotlen == wantlen && memcmp(got, want, wantlen) == 0);
			CHECK(noise_read(rx, got, gotlen, back, sizeof(back), &backlen) == 0);
			CHECK(backlen == pllen && memcmp(back, pl, pllen) == 0);
		}
		CHECK(noise_done(&a) && noise_done(&b));
		if (nv->has_static) {
			/* the responder learned the initiator's key */
			uint8_t ipub[32];

			crypto_scalarmult_base(ipub, is);
			CHECK(memcmp(noise_remote_static(&b), ipub, 32) == 0);
			CHECK(memcmp(rpub, b.s_pub, 32) == 0);
		}
		CHECK(noise_split(&a, ak1, ak2) == 0);
		CHECK(noise_split(&b, bk1, bk2) == 0);
		CHECK(memcmp(ak1, bk1, 32) == 0 && memcmp(ak2, bk2, 32) == 0);
		/* transport messages alternate, starting with the initiator, counters per key */
		for (m = 2; m < VEC_NMSG; m++) {
			pllen = unhex(pl, sizeof(pl), vec_payloads[m]);
			wantlen = unhex(want, sizeof(want), nv->ciphertext[m]);
			transport(m % 2 == 0 ? ak1 : ak2, (uint64_t)(m - 2) / 2, pl, pllen, got);
			CHECK(wantlen == pllen + 16 && memcmp(got, want, wantlen) == 0);
		}
		if (failures)
			fprintf(stderr, "vector %s failed\n", nv->name);
		noise_wipe(&a);
		noise_wipe(&b);
	}
}

/* A responder learns nothing from a message that is one bit off. */
static void
test_noise_tamper(void)
{
	uint8_t pro[1] = {0}, is[32], rs[32], rpub[32], msg[256], pl[64];
	struct noise_hs a, b;
	size_t len, plen;

	randombytes_buf(is, 32);
	randombytes_buf(rs, 32);
	crypto_scalarmult_base(rpub, rs);
	CHECK(noise_init(&a, NOISE_IK, 1, pro, 1, is, rpub, NULL) == 0);
	CHECK(noise_write(&a, (const uint8_t *)"x", 1, msg, sizeof(msg), &len) == 0);
	msg[40] ^= 1;
	CHECK(noise_init(&b, NOISE_IK, 0, pro, 1, rs, NULL, NULL) == 0);
	CHECK(noise_read(&b, msg, len, pl, sizeof(pl), &plen) == -1);
	/* arguments that do not fit the pattern */
	CHECK(noise_init(&b, NOISE_IK, 0, pro, 1, NULL, NULL, NULL) == -1);
	CHECK(noise_init(&b, NOISE_NNPSK0, 0, pro, 1, NULL, NULL, NULL) == -1);
	/* out-of-turn */
	CHECK(noise_init(&b, NOISE_NN, 0, pro, 1, NULL, NULL, NULL) == 0);
	CHECK(noise_write(&b, NULL, 0, msg, sizeof(msg), &len) == -1);
}

/* ---- keys ---- */

static void
test_keys(void)
{
	uint8_t priv[32], pub[32], want[32], k[32];
	char b64[CRYPTO_KEY_B64_LEN + 1];
	FILE *f;
	int saved;

	unhex(priv, 32, VEC_RESP_STATIC);
	unhex(want, 32, VEC_RESP_PUBLIC);
	crypto_pubkey(pub, priv);
	CHECK(memcmp(pub, want, 32) == 0);

	crypto_genkey(priv);
	CHECK((priv[0] & 7) == 0 && (priv[31] & 0xc0) == 0x40);
	crypto_key_to_base64(b64, priv);
	CHECK_EQ(strlen(b64), CRYPTO_KEY_B64_LEN);
	CHECK(crypto_key_from_base64(k, b64) == 0 && memcmp(k, priv, 32) == 0);
	/* wg(8)'s example key */
	CHECK(crypto_key_from_base64(k, "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=") == 0);
	CHECK(crypto_key_from_base64(k, "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk") == -1);
	CHECK(crypto_key_from_base64(k, "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk==") == -1);
	CHECK(crypto_key_from_base64(k, "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBm!=") == -1);
	CHECK(crypto_key_from_base64(k, "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBml=") == -1);
	CHECK(crypto_key_from_base64(k, "") == -1);

	/* The commands print keys on stdout: send them nowhere. */
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	CHECK(freopen("/dev/null", "w", stdout) != NULL);
	f = tmpfile();
	CHECK(f != NULL);
	if (f != NULL) {
		fprintf(f, "%s\n", b64);
		rewind(f);
		CHECK(crypto_cmd_pubkey(f) == 0);
		fclose(f);
	}
	f = tmpfile();
	if (f != NULL) {
		fputs("not a key\n", f);
		rewind(f);
		CHECK(crypto_cmd_pubkey(f) == 1);
		fclose(f);
	}
	CHECK(crypto_cmd_genkey() == 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
}

/* ---- handshake helpers ---- */

/* One party. Its record states own cipher contexts: start from zero, end with side_wipe. */
struct side {
	struct crypto_id id;
	struct crypto_peer peer;
	struct crypto_hs hs;
	struct crypto_rec tx, rx;
	uint8_t priv[32], pub[32];
};

static void
side_wipe(struct side *x)
{
	crypto_rec_wipe(&x->tx);
	crypto_rec_wipe(&x->rx);
	crypto_hs_wipe(&x->hs);
	crypto_id_wipe(&x->id);
	memset(x, 0, sizeof(*x));
}

/* dst: the same party as src (keys, replay state), for another connection; no records. */
static void
side_clone(struct side *dst, const struct side *src)
{
	side_wipe(dst);
	dst->id = src->id;
	dst->peer = src->peer;
	memcpy(dst->priv, src->priv, sizeof(dst->priv));
	memcpy(dst->pub, src->pub, sizeof(dst->pub));
}

/*
 * Two parties (zeroed or paired before): keys mode when psk_only is 0; psk may be NULL in
 * keys mode.
 */
static void
pair(struct side *c, struct side *s, int psk_only, const uint8_t *psk, enum crypto_cipher cc,
     enum crypto_cipher sc)
{
	side_wipe(c);
	side_wipe(s);
	crypto_genkey(c->priv);
	crypto_genkey(s->priv);
	crypto_pubkey(c->pub, c->priv);
	crypto_pubkey(s->pub, s->priv);
	CHECK(crypto_id_init(&c->id, psk_only ? NULL : c->priv, psk, cc) == CRYPTO_OK);
	CHECK(crypto_id_init(&s->id, psk_only ? NULL : s->priv, psk, sc) == CRYPTO_OK);
	crypto_peer_init(&c->peer, psk_only ? NULL : s->pub);
	crypto_peer_init(&s->peer, psk_only ? NULL : c->pub);
}

/* Run the handshake; returns the first error, or CRYPTO_OK with records split. */
static int
handshake(struct side *c, struct side *s, uint64_t now)
{
	uint8_t m1[CRYPTO_MSG1_LEN], m2[CRYPTO_MSG2_LEN], pl[CRYPTO_HS_PAYLOAD_MAX];
	size_t plen;
	int rc;

	rc = crypto_hs_initiate(&c->hs, &c->id, &c->peer, now, (const uint8_t *)"hello", 5, m1);
	if (rc != CRYPTO_OK)
		return rc;
	rc = crypto_hs_respond(&s->hs, &s->id, &s->peer, 1, m1, pl, &plen);
	if (rc == CRYPTO_ERR_CIPHER) {
		CHECK_EQ(crypto_hs_reply(&s->hs, NULL, 0, m2), CRYPTO_ERR_CIPHER);
		CHECK_EQ(crypto_hs_finish(&c->hs, m2, pl, &plen), CRYPTO_ERR_CIPHER);
		return rc;
	}
	if (rc != CRYPTO_OK)
		return rc;
	CHECK(plen == 5 && memcmp(pl, "hello", 5) == 0);
	CHECK(crypto_hs_peer(&s->hs) == &s->peer);
	rc = crypto_hs_reply(&s->hs, (const uint8_t *)"world!", 6, m2);
	if (rc != CRYPTO_OK)
		return rc;
	rc = crypto_hs_finish(&c->hs, m2, pl, &plen);
	if (rc != CRYPTO_OK)
		return rc;
	CHECK(plen == 6 && memcmp(pl, "world!", 6) == 0);
	CHECK_EQ(crypto_hs_cipher(&c->hs), crypto_hs_cipher(&s->hs));
	CHECK_EQ(crypto_hs_split(&c->hs, &c->tx, &c->rx), CRYPTO_OK);
	CHECK_EQ(crypto_hs_split(&s->hs, &s->tx, &s->rx), CRYPTO_OK);
	CHECK(sodium_is_zero((const uint8_t *)&c->hs, sizeof(c->hs)));
	return CRYPTO_OK;
}

static uint8_t wire[CRYPTO_RECORD_MAX + CRYPTO_RECORD_OVERHEAD];
static uint8_t plainbuf[CRYPTO_RECORD_MAX];

/* Seal len bytes of pattern seed on tx, open on rx, compare. */
static int
roundtrip(struct crypto_rec *tx, struct crypto_rec *rx, uint64_t now, size_t len, uint8_t seed)
{
	uint8_t *p;
	size_t i, n, total, plen;
	int rc;

	for (i = 0; i < len; i++)
		plainbuf[i] = (uint8_t)(seed + i);
	n = crypto_seal(tx, now, plainbuf, len, wire);
	if (n == 0)
		return -100;
	rc = crypto_record_len(rx, wire, 2, &total);
	CHECK_EQ(rc, CRYPTO_ERR_SHORT);
	rc = crypto_record_len(rx, wire, CRYPTO_RECORD_HDR, &total);
	if (rc != CRYPTO_OK)
		return rc;
	CHECK_EQ(total, n);
	rc = crypto_open(rx, wire, total, &p, &plen);
	if (rc != CRYPTO_OK)
		return rc;
	CHECK_EQ(plen, len);
	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed + i))
			return -101;
	return CRYPTO_OK;
}

static void
test_handshake_modes(void)
{
	uint8_t psk[32];
	struct side c = {0}, s = {0};
	int mode;

	randombytes_buf(psk, sizeof(psk));
	for (mode = 0; mode < 3; mode++) {
		/* 0: keys, 1: keys + psk, 2: psk only */
		pair(&c, &s, mode == 2, mode == 0 ? NULL : psk, CRYPTO_CIPHER_AUTO,
		     CRYPTO_CIPHER_AUTO);
		CHECK_EQ(handshake(&c, &s, T0), CRYPTO_OK);
		CHECK_EQ(roundtrip(&c.tx, &s.rx, 1, 1400, 1), CRYPTO_OK);
		CHECK_EQ(roundtrip(&s.tx, &c.rx, 1, 0, 2), CRYPTO_OK);
		CHECK_EQ(roundtrip(&s.tx, &c.rx, 1, CRYPTO_RECORD_MAX, 3), CRYPTO_OK);
		CHECK_EQ(roundtrip(&c.tx, &s.rx, 1, 65535 + 64, 4), CRYPTO_OK);
		CHECK(crypto_seal(&c.tx, 1, plainbuf, CRYPTO_RECORD_MAX + 1, wire) == 0);
		/* a second connection of the same pair: fresh keys, later timestamp */
		{
			struct side c2 = {0}, s2 = {0};

			side_clone(&c2, &c);
			side_clone(&s2, &s);
			CHECK_EQ(handshake(&c2, &s2, T0), CRYPTO_OK);
			CHECK(memcmp(c2.tx.key, c.tx.key, 32) != 0);
			CHECK(c2.peer.tx_ts > c.peer.tx_ts);
			/* both connections' records still work */
			CHECK_EQ(roundtrip(&c2.tx, &s2.rx, 1, 100, 5), CRYPTO_OK);
			CHECK_EQ(roundtrip(&c.tx, &s.rx, 1, 100, 6), CRYPTO_OK);
			side_wipe(&c2);
			side_wipe(&s2);
		}
		crypto_rec_wipe(&c.tx);
		CHECK(sodium_is_zero((const uint8_t *)&c.tx, sizeof(c.tx)));
	}
	side_wipe(&c);
	side_wipe(&s);
	/* message sizes are the same in both modes */
	CHECK_EQ(CRYPTO_MSG1_LEN, 156);
	CHECK_EQ(CRYPTO_MSG2_LEN, 85);
}

static void
test_wrong_keys(void)
{
	uint8_t psk[32], psk2[32], other[32], m1[CRYPTO_MSG1_LEN], m2[CRYPTO_MSG2_LEN];
	uint8_t pl[CRYPTO_HS_PAYLOAD_MAX];
	struct side c = {0}, s = {0};
	struct crypto_peer peers[3];
	size_t plen;

	randombytes_buf(psk, 32);
	randombytes_buf(psk2, 32);

	/* The initiator pins a wrong responder key: mac1 fails, nothing else is done. */
	pair(&c, &s, 0, NULL, CRYPTO_CIPHER_AUTO, CRYPTO_CIPHER_AUTO);
	crypto_genkey(other);
	crypto_pubkey(c.peer.pub, other);
	CHECK_EQ(handshake(&c, &s, T0), CRYPTO_ERR_MAC);

	/* The responder does not list the initiator's key. */
	pair(&c, &s, 0, NULL, CRYPTO_CIPHER_AUTO, CRYPTO_CIPHER_AUTO);
	crypto_genkey(other);
	crypto_pubkey(s.peer.pub, other);
	CHECK_EQ(handshake(&c, &s, T0), CRYPTO_ERR_UNKNOWN_PEER);
	CHECK(s.peer.rx_max == 0); /* no replay state touched */

	/* Several peers: the right one is found. */
	pair(&c, &s, 0, NULL, CRYPTO_CIPHER_AUTO, CRYPTO_CIPHER_AUTO);
	crypto_peer_init(&peers[0], other);
	crypto_peer_init(&peers[1], c.pub);
	crypto_peer_init(&peers[2], s.pub);
	CHECK_EQ(crypto_hs_initiate(&c.hs, &c.id, &c.peer, T0, NULL, 0, m1), CRYPTO_OK);
	CHECK_EQ(crypto_hs_respond(&s.hs, &s.id, peers, 3, m1, pl, &plen), CRYPTO_OK);
	CHECK(crypto_hs_peer(&s.hs) == &peers[1]);
	CHECK_EQ(plen, 0);

	/* Pre-shared keys differ (keys mode): msg1 passes, msg2 fails on the initiator. */
	pair(&c, &s, 0, psk, CRYPTO_CIPHER_AUTO, CRYPTO_CIPHER_AUTO);
	CHECK(crypto_id_init(&s.id, s.priv, psk2, CRYPTO_CIPHER_AUTO) == CRYPTO_OK);
	CHECK_EQ(handshake(&c, &s, T0), CRYPTO_ERR_MAC);
	/* one side has a psk, the other none */
	pair(&c, &s, 0, psk, CRYPTO_CIPHER_AUTO, CRYPTO_CIPHER_AUTO);
	CHECK(crypto_id_init(&s.id, s.priv, NULL, CRYPTO_CIPHER_AUTO) == CRYPTO_OK);
	CHECK_EQ(handshake(&c, &s, T0), CRYPTO_ERR_MAC);

	/* Pre-shared-key mode with different keys. */
	pair(&c, &s, 1, psk, CRYPTO_CIPHER_AUTO, CRYPTO_CIPHER_AUTO);
	CHECK(crypto_id_init(&s.id, NULL, psk2, CRYPTO_CIPHER_AUTO) == CRYPTO_OK);
	CHECK_EQ(handshake(&c, &s, T0), CRYPTO_ERR_MAC);

	/* Modes differ. */
	pair(&c, &s, 1, psk, CRYPTO_CIPHER_AUTO, CRYPTO_CIPHER_AUTO);
	CHECK(crypto_id_init(&s.id, s.priv, psk, CRYPTO_CIPHER_AUTO) == CRYPTO_OK);
	CHECK_EQ(handshake(&c, &s, T0), CRYPTO_ERR_MODE);

	/* msg2 from an impostor responder (right protocol, wrong static key). */
	pair(&c, &s, 0, NULL, CRYPTO_CIPHER_AUTO, CRYPTO_CIPHER_AUTO);
	{
		struct side c2 = {0}, imp = {0};

		CHECK_EQ(crypto_hs_initiate(&c.hs, &c.id, &c.peer, T0, NULL, 0, m1), CRYPTO_OK);
		pair(&c2, &imp, 0, NULL, CRYPTO_CIPHER_AUTO, CRYPTO_CIPHER_AUTO);
		crypto_peer_init(&imp.peer, c.pub);
		c2.id = c.id;
		CHECK_EQ(crypto_hs_initiate(&c2.hs, &c2.id, &c2.peer, T0, NULL, 0, m1), CRYPTO_OK);
		CHECK_EQ(crypto_hs_respond(&imp.hs, &imp.id, &imp.peer, 1, m1, pl, &plen),
			 CRYPTO_OK);
		CHECK_EQ(crypto_hs_reply(&imp.hs, NULL, 0, m2), CRYPTO_OK);
		CHECK_EQ(crypto_hs_finish(&c.hs, m2, pl, &plen), CRYPTO_ERR_MAC);
		side_wipe(&c2);
		side_wipe(&imp);
	}

	/* Unusable identities. */
	CHECK_EQ(crypto_id_init(&c.id, NULL, NULL, CRYPTO_CIPHER_AUTO), CRYPTO_ERR_KEY);
	memset(psk2, 0, 32);
	CHECK_EQ(crypto_id_init(&c.id, NULL, psk2, CRYPTO_CIPHER_AUTO), CRYPTO_ERR_KEY);
	/* A low-order peer key makes a DH fail instead of giving a known secret. */
	pair(&c, &s, 0, NULL, CRYPTO_CIPHER_AUTO, CRYPTO_CIPHER_AUTO);
	memset(c.peer.pub, 0, 32);
	CHECK_EQ(crypto_hs_initiate(&c.hs, &c.id, &c.peer, T0, NULL, 0, m1), CRYPTO_ERR_KEY);
	side_wipe(&c);
	side_wipe(&s);
}

static void
test_replay(void)
{
	uint8_t m1[CRYPTO_MSG1_LEN], m1b[CRYPTO_MSG1_LEN], pl[CRYPTO_HS_PAYLOAD_MAX];
	struct side c = {0}, s = {0};
	struct crypto_hs hs;
	size_t plen;
	int i, mode;

	for (mode = 0; mode < 2; mode++) {
		uint8_t psk[32];

		randombytes_buf(psk, 32);
		pair(&c, &s, mode, psk, CRYPTO_CIPHER_AUTO, CRYPTO_CIPHER_AUTO);
		CHECK_EQ(crypto_hs_initiate(&c.hs, &c.id, &c.peer, T0, NULL, 0, m1), CRYPTO_OK);
		CHECK_EQ(crypto_hs_initiate(&c.hs, &c.id, &c.peer, T0, NULL, 0, m1b), CRYPTO_OK);
		/* the later msg1 arrives first (another path), then the earlier: both fine */
		CHECK_EQ(crypto_hs_respond(&hs, &s.id, &s.peer, 1, m1b, pl, &plen), CRYPTO_OK);
		CHECK_EQ(crypto_hs_respond(&hs, &s.id, &s.peer, 1, m1, pl, &plen), CRYPTO_OK);
		/* replayed: no answer */
		CHECK_EQ(crypto_hs_respond(&hs, &s.id, &s.peer, 1, m1, pl, &plen),
			 CRYPTO_ERR_REPLAY);
		CHECK_EQ(crypto_hs_respond(&hs, &s.id, &s.peer, 1, m1b, pl, &plen),
			 CRYPTO_ERR_REPLAY);
		CHECK(hs.state == CRYPTO_HS_FAILED);
		/* a msg1 held back longer than the window behind the newest is refused */
		CHECK_EQ(crypto_hs_initiate(&c.hs, &c.id, &c.peer, T0, NULL, 0, m1), CRYPTO_OK);
		CHECK_EQ(crypto_hs_initiate(&c.hs, &c.id, &c.peer,
					    T0 + CRYPTO_REPLAY_WINDOW_NS + 10 * NS, NULL, 0, m1b),
			 CRYPTO_OK);
		CHECK_EQ(crypto_hs_respond(&hs, &s.id, &s.peer, 1, m1b, pl, &plen), CRYPTO_OK);
		CHECK_EQ(crypto_hs_respond(&hs, &s.id, &s.peer, 1, m1, pl, &plen),
			 CRYPTO_ERR_REPLAY);
		/* many handshakes: every one accepted once, none twice */
		for (i = 0; i < 3 * CRYPTO_REPLAY_SLOTS; i++) {
			CHECK_EQ(crypto_hs_initiate(&c.hs, &c.id, &c.peer,
						    T0 + CRYPTO_REPLAY_WINDOW_NS + 20 * NS, NULL, 0,
						    m1),
				 CRYPTO_OK);
			CHECK_EQ(crypto_hs_respond(&hs, &s.id, &s.peer, 1, m1, pl, &plen),
				 CRYPTO_OK);
			CHECK_EQ(crypto_hs_respond(&hs, &s.id, &s.peer, 1, m1, pl, &plen),
				 CRYPTO_ERR_REPLAY);
		}
		/* the first of the burst, replayed after it was forgotten: below the floor */
		CHECK(s.peer.rx_floor > 0);
	}
	side_wipe(&c);
	side_wipe(&s);
}

static void
test_garbage(void)
{
	uint8_t m1[CRYPTO_MSG1_LEN], m2[CRYPTO_MSG2_LEN], pl[CRYPTO_HS_PAYLOAD_MAX];
	struct side c = {0}, s = {0};
	size_t plen, i;
	int t;

	pair(&c, &s, 0, NULL, CRYPTO_CIPHER_AUTO, CRYPTO_CIPHER_AUTO);
	for (t = 0; t < 200; t++) {
		randombytes_buf(m1, sizeof(m1));
		m1[0] = t % 2 ? CRYPTO_MSG_INIT_KEYS : m1[0];
		CHECK(crypto_hs_respond(&s.hs, &s.id, &s.peer, 1, m1, pl, &plen) < 0);
	}
	m1[0] = CRYPTO_MSG_INIT_KEYS;
	CHECK_EQ(crypto_hs_respond(&s.hs, &s.id, &s.peer, 1, m1, pl, &plen), CRYPTO_ERR_MAC);
	m1[0] = 0x7f;
	CHECK_EQ(crypto_hs_respond(&s.hs, &s.id, &s.peer, 1, m1, pl, &plen), CRYPTO_ERR_MALFORMED);
	/* every single-bit flip of a good msg1 is refused */
	CHECK_EQ(crypto_hs_initiate(&c.hs, &c.id, &c.peer, T0, NULL, 0, m1), CRYPTO_OK);
	for (i = 0; i < sizeof(m1) * 8; i += 7) {
		m1[i / 8] ^= (uint8_t)(1u << (i % 8));
		CHECK(crypto_hs_respond(&s.hs, &s.id, &s.peer, 1, m1, pl, &plen) < 0);
		m1[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	CHECK_EQ(crypto_hs_respond(&s.hs, &s.id, &s.peer, 1, m1, pl, &plen), CRYPTO_OK);
	/* random msg2 */
	randombytes_buf(m2, sizeof(m2));
	m2[0] = CRYPTO_MSG_RESP;
	CHECK_EQ(crypto_hs_finish(&c.hs, m2, pl, &plen), CRYPTO_ERR_MAC);
	/* calls out of order */
	CHECK_EQ(crypto_hs_finish(&c.hs, m2, pl, &plen), CRYPTO_ERR_STATE);
	CHECK_EQ(crypto_hs_split(&c.hs, &c.tx, &c.rx), CRYPTO_ERR_STATE);
	CHECK_EQ(crypto_hs_reply(&c.hs, NULL, 0, m2), CRYPTO_ERR_STATE);
	CHECK_EQ(crypto_hs_initiate(&c.hs, &c.id, &c.peer, T0, pl, CRYPTO_HS_PAYLOAD_MAX + 1, m1),
		 CRYPTO_ERR_STATE);
	side_wipe(&c);
	side_wipe(&s);
}

static void
test_records(void)
{
	static uint8_t copy[sizeof(wire)];
	struct side c = {0}, s = {0}, c2 = {0}, s2 = {0};
	uint8_t *p;
	size_t n, total, plen, i;
	int ci;

	for (ci = CRYPTO_CIPHER_CHACHA20POLY1305; ci <= CRYPTO_CIPHER_AEGIS256X4; ci++) {
		enum crypto_cipher cc = (enum crypto_cipher)ci;

		if (!sealing_here(cc))
			continue;
		pair(&c, &s, 0, NULL, cc, cc);
		CHECK_EQ(handshake(&c, &s, T0), CRYPTO_OK);
		CHECK_EQ(c.tx.cipher, cc);

		/* flipped bit anywhere: header, body or tag */
		memset(plainbuf, 0xab, 100);
		n = crypto_seal(&c.tx, 1, plainbuf, 100, wire);
		CHECK_EQ(n, 100 + CRYPTO_RECORD_OVERHEAD);
		for (i = 0; i < n * 8; i += 5) {
			int rc;

			memcpy(copy, wire, n);
			copy[i / 8] ^= (uint8_t)(1u << (i % 8));
			rc = crypto_record_len(&s.rx, copy, n, &total);
			if (rc == CRYPTO_OK && total == n)
				rc = crypto_open(&s.rx, copy, n, &p, &plen);
			else if (rc == CRYPTO_OK)
				rc = CRYPTO_ERR_MALFORMED;
			CHECK(rc == CRYPTO_ERR_MAC || rc == CRYPTO_ERR_MALFORMED);
		}
		CHECK_EQ(s.rx.counter, 0);
		CHECK_EQ(s.rx.rekeys, 0); /* a forged rekey flag changed nothing */
		/* truncated */
		memcpy(copy, wire, n);
		CHECK_EQ(crypto_open(&s.rx, copy, n - 1, &p, &plen), CRYPTO_ERR_MALFORMED);
		CHECK_EQ(crypto_open(&s.rx, copy, 2, &p, &plen), CRYPTO_ERR_MALFORMED);
		/* the original still opens, once */
		memcpy(copy, wire, n);
		CHECK_EQ(crypto_open(&s.rx, copy, n, &p, &plen), CRYPTO_OK);
		CHECK(plen == 100 && p[0] == 0xab && p[99] == 0xab);
		memcpy(copy, wire, n);
		CHECK_EQ(crypto_open(&s.rx, copy, n, &p, &plen), CRYPTO_ERR_MAC); /* replayed */
		/* reordered: record 2 before record 1 */
		{
			static uint8_t r1[256], r2[256];
			size_t n1, n2;

			n1 = crypto_seal(&c.tx, 1, plainbuf, 10, r1);
			n2 = crypto_seal(&c.tx, 1, plainbuf, 10, r2);
			CHECK_EQ(crypto_open(&s.rx, r2, n2, &p, &plen), CRYPTO_ERR_MAC);
			CHECK_EQ(crypto_open(&s.rx, r1, n1, &p, &plen), CRYPTO_OK);
			crypto_seal(&c.tx, 1, plainbuf, 10, r2);
			CHECK_EQ(crypto_open(&s.rx, r2, n2, &p, &plen), CRYPTO_ERR_MAC);
		}
		/* a record of connection A fed to connection B of the same peers */
		pair(&c, &s, 0, NULL, cc, cc);
		CHECK_EQ(handshake(&c, &s, T0), CRYPTO_OK);
		side_clone(&c2, &c);
		side_clone(&s2, &s);
		CHECK_EQ(handshake(&c2, &s2, T0), CRYPTO_OK);
		n = crypto_seal(&c.tx, 1, plainbuf, 50, wire);
		memcpy(copy, wire, n);
		CHECK_EQ(crypto_open(&s2.rx, copy, n, &p, &plen), CRYPTO_ERR_MAC);
		/* ... and reflected back to its sender */
		memcpy(copy, wire, n);
		CHECK_EQ(crypto_open(&c.rx, copy, n, &p, &plen), CRYPTO_ERR_MAC);
		CHECK_EQ(crypto_open(&s.rx, wire, n, &p, &plen), CRYPTO_OK);
		/* in place */
		memset(wire + CRYPTO_RECORD_HDR, 7, 300);
		n = crypto_seal(&c.tx, 1, wire + CRYPTO_RECORD_HDR, 300, wire);
		CHECK_EQ(crypto_open(&s.rx, wire, n, &p, &plen), CRYPTO_OK);
		CHECK(plen == 300 && p[0] == 7 && p[299] == 7);
		/* exhausted counter */
		s.rx.counter = UINT64_MAX;
		n = crypto_seal(&c.tx, 1, plainbuf, 1, wire);
		CHECK_EQ(crypto_open(&s.rx, wire, n, &p, &plen), CRYPTO_ERR_LIMIT);
	}
	side_wipe(&c);
	side_wipe(&s);
	side_wipe(&c2);
	side_wipe(&s2);
}

/* Rekeying by bytes, by record count and by time, across many records. */
static void
test_rekey(void)
{
	struct side c = {0}, s = {0};
	uint64_t now = 5 * NS;
	uint8_t old[32];
	int i, ci, bad = 0;

	for (ci = CRYPTO_CIPHER_CHACHA20POLY1305; ci <= CRYPTO_CIPHER_AEGIS256X4; ci++) {
		if (!sealing_here((enum crypto_cipher)ci))
			continue;
		pair(&c, &s, 0, NULL, (enum crypto_cipher)ci, (enum crypto_cipher)ci);
		CHECK_EQ(handshake(&c, &s, T0), CRYPTO_OK);
		/* bytes: every 10000 bytes */
		crypto_rec_set_rekey(&c.tx, 10000, 0, 0);
		memcpy(old, c.tx.key, 32);
		for (i = 0; i < 1000; i++)
			bad += roundtrip(&c.tx, &s.rx, now, (size_t)(i * 37) % 1500, (uint8_t)i) !=
			       CRYPTO_OK;
		CHECK_EQ(bad, 0);
		CHECK(c.tx.rekeys >= 60);
		CHECK_EQ(c.tx.rekeys, s.rx.rekeys);
		CHECK(memcmp(old, c.tx.key, 32) != 0 && memcmp(c.tx.key, s.rx.key, 32) == 0);
		/* records: every 7 records */
		crypto_rec_set_rekey(&s.tx, 0, 7, 0);
		for (i = 0; i < 100; i++)
			bad += roundtrip(&s.tx, &c.rx, now, 10, (uint8_t)i) != CRYPTO_OK;
		CHECK_EQ(bad, 0);
		CHECK_EQ(s.tx.rekeys, 14);
		CHECK_EQ(c.rx.rekeys, 14);
		CHECK(s.tx.counter <= 7);
		/* time: the default two minutes */
		crypto_rec_set_rekey(&s.tx, 0, 0, 0);
		s.tx.rekeys = c.rx.rekeys = 0;
		for (i = 0; i < 600; i++) {
			now += NS; /* a record a second for ten minutes */
			bad += roundtrip(&s.tx, &c.rx, now, 100, (uint8_t)i) != CRYPTO_OK;
		}
		CHECK_EQ(bad, 0);
		CHECK(s.tx.rekeys >= 4 && s.tx.rekeys <= 5);
		CHECK_EQ(s.tx.rekeys, c.rx.rekeys);
		/* a record sealed under the old key after the receiver moved on fails */
		{
			struct crypto_rec stale = {0};
			size_t n;
			uint8_t *p;
			size_t plen;

			CHECK_EQ(crypto_rec_copy(&stale, &s.tx), CRYPTO_OK);
			now += CRYPTO_REKEY_SECONDS * NS;
			CHECK_EQ(roundtrip(&s.tx, &c.rx, now, 10, 1), CRYPTO_OK);
			CHECK(memcmp(stale.key, s.tx.key, 32) != 0);
			stale.counter = 0;
			n = crypto_seal(&stale, now - NS, plainbuf, 10, wire);
			CHECK_EQ(crypto_open(&c.rx, wire, n, &p, &plen), CRYPTO_ERR_MAC);
			crypto_rec_wipe(&stale);
			/* the copy was independent: the original goes on */
			CHECK_EQ(roundtrip(&s.tx, &c.rx, now, 10, 2), CRYPTO_OK);
		}
	}
	side_wipe(&c);
	side_wipe(&s);
}

/* ---- wire compatibility ---- */

/*
 * The record format of doc/security.md, made with plain libsodium calls: header (the
 * associated data), body, tag; nonce = 4 zero bytes || 64-bit big-endian counter.
 */
static void
ref_nonce(uint8_t nonce[12], uint64_t counter)
{
	int i;

	memset(nonce, 0, 12);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (56 - 8 * i));
}

static size_t
ref_seal(enum crypto_cipher c, const uint8_t key[32], uint64_t counter, int rekey,
	 const uint8_t *pt, size_t len, uint8_t *out)
{
	uint32_t hdr = (uint32_t)len | (rekey ? CRYPTO_REC_FLAG_REKEY : 0);
	uint8_t nonce[12];
	unsigned long long taglen;

	out[0] = (uint8_t)(hdr >> 16);
	out[1] = (uint8_t)(hdr >> 8);
	out[2] = (uint8_t)hdr;
	ref_nonce(nonce, counter);
	if (c == CRYPTO_CIPHER_AEGIS256X4) {
		uint8_t wide[32] = {0};

		memcpy(wide, nonce, sizeof(nonce));
		aegis_seal(key, wide, out, 3, pt, len, out + 3, out + 3 + len);
	} else if (c == CRYPTO_CIPHER_AES256GCM)
		crypto_aead_aes256gcm_encrypt_detached(out + 3, out + 3 + len, &taglen, pt, len,
						       out, 3, NULL, nonce, key);
	else
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			out + 3, out + 3 + len, &taglen, pt, len, out, 3, NULL, nonce, key);
	return 3 + len + 16;
}

/* Open the n-byte record w into pt; 0, or -1 when it does not authenticate. */
static int
ref_open(enum crypto_cipher c, const uint8_t key[32], uint64_t counter, const uint8_t *w, size_t n,
	 uint8_t *pt)
{
	uint8_t nonce[12];
	size_t len = n - 3 - 16;

	if (n < 3 + 16 || (((size_t)w[0] << 16 | (size_t)w[1] << 8 | w[2]) & 0x7fffff) != len)
		return -1;
	ref_nonce(nonce, counter);
	if (c == CRYPTO_CIPHER_AEGIS256X4) {
		uint8_t wide[32] = {0};

		memcpy(wide, nonce, sizeof(nonce));
		memmove(pt, w + 3, len);
		return aegis_open(key, wide, w, 3, pt, len, w + 3 + len);
	}
	if (c == CRYPTO_CIPHER_AES256GCM)
		return crypto_aead_aes256gcm_decrypt_detached(pt, NULL, w + 3, len, w + 3 + len, w,
							      3, nonce, key);
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(pt, NULL, w + 3, len, w + 3 + len,
								  w, 3, nonce, key);
}

/* key' = BLAKE2b-256(key = key, message = "mptun rekey v1") */
static void
ref_ratchet(uint8_t next[32], const uint8_t key[32])
{
	crypto_generichash(next, 32, (const uint8_t *)"mptun rekey v1", 14, key, 32);
}

/*
 * Whatever library the build seals records with, its records are byte for byte those of
 * plain libsodium calls for the same key, counter, header and body, and it opens theirs:
 * both ciphers, lengths around the block and vector sizes, in place and not, and a rekey
 * each way.
 */
static void
test_wire_compat(void)
{
	static const size_t lens[] = {0,    1,	  15,	 16,	17,
				      63,   64,	  65,	 255,	256,
				      1400, 4097, 16000, 65535, CRYPTO_RECORD_MAX};
	static uint8_t ref[sizeof(wire)], pt[CRYPTO_RECORD_MAX];
	struct side c = {0}, s = {0};
	uint8_t kc[32], ks[32], old[32], *p;
	size_t i, n, len, plen;
	int ci;

	for (ci = CRYPTO_CIPHER_CHACHA20POLY1305; ci <= CRYPTO_CIPHER_AEGIS256X4; ci++) {
		enum crypto_cipher cc = (enum crypto_cipher)ci;

		if (!sealing_here(cc))
			continue;
		pair(&c, &s, 0, NULL, cc, cc);
		CHECK_EQ(handshake(&c, &s, T0), CRYPTO_OK);
		memcpy(kc, c.tx.key, 32); /* client to server */
		memcpy(ks, s.tx.key, 32); /* server to client */
		CHECK(memcmp(kc, s.rx.key, 32) == 0 && memcmp(ks, c.rx.key, 32) == 0);
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			len = lens[i];
			randombytes_buf(plainbuf, len);
			/* ours, against the reference and opened by it; every other one in place */
			if (i % 2) {
				memcpy(wire + CRYPTO_RECORD_HDR, plainbuf, len);
				n = crypto_seal(&c.tx, 1, wire + CRYPTO_RECORD_HDR, len, wire);
			} else
				n = crypto_seal(&c.tx, 1, plainbuf, len, wire);
			CHECK_EQ(n, len + CRYPTO_RECORD_OVERHEAD);
			CHECK_EQ(ref_seal(cc, kc, i, 0, plainbuf, len, ref), n);
			CHECK(memcmp(wire, ref, n) == 0);
			CHECK(ref_open(cc, kc, i, wire, n, pt) == 0 &&
			      memcmp(pt, plainbuf, len) == 0);
			CHECK_EQ(crypto_open(&s.rx, wire, n, &p, &plen), CRYPTO_OK);
			CHECK(plen == len && memcmp(p, plainbuf, len) == 0);
			/* the reference's, opened by ours */
			n = ref_seal(cc, ks, i, 0, plainbuf, len, ref);
			CHECK_EQ(crypto_open(&c.rx, ref, n, &p, &plen), CRYPTO_OK);
			CHECK(plen == len && memcmp(p, plainbuf, len) == 0);
		}
		/* a rekey by ours: flagged, under the next key, at counter 0, then 1 */
		ref_ratchet(kc, kc);
		crypto_rec_set_rekey(&c.tx, 0, 1, 0);
		for (i = 0; i < 2; i++) {
			len = 1000 + i;
			randombytes_buf(plainbuf, len);
			if (i == 1)
				crypto_rec_set_rekey(&c.tx, 0, 0, 0);
			n = crypto_seal(&c.tx, 1, plainbuf, len, wire);
			CHECK_EQ(ref_seal(cc, kc, i, i == 0, plainbuf, len, ref), n);
			CHECK(memcmp(wire, ref, n) == 0);
			CHECK(ref_open(cc, kc, i, wire, n, pt) == 0 &&
			      memcmp(pt, plainbuf, len) == 0);
			CHECK_EQ(crypto_open(&s.rx, wire, n, &p, &plen), CRYPTO_OK);
			CHECK(plen == len && memcmp(p, plainbuf, len) == 0);
		}
		CHECK_EQ(c.tx.rekeys, 1);
		CHECK_EQ(s.rx.rekeys, 1);
		CHECK(memcmp(c.tx.key, kc, 32) == 0 && memcmp(s.rx.key, kc, 32) == 0);
		/* a rekey by the reference, opened by ours */
		memcpy(old, ks, 32);
		ref_ratchet(ks, ks);
		for (i = 0; i < 2; i++) {
			len = 2000 + i;
			randombytes_buf(plainbuf, len);
			n = ref_seal(cc, ks, i, i == 0, plainbuf, len, ref);
			CHECK_EQ(crypto_open(&c.rx, ref, n, &p, &plen), CRYPTO_OK);
			CHECK(plen == len && memcmp(p, plainbuf, len) == 0);
		}
		CHECK(memcmp(c.rx.key, ks, 32) == 0);
		/* the old key is gone; a record that fails leaves no plaintext behind */
		memset(plainbuf, 0x55, 100);
		n = ref_seal(cc, old, 2, 0, plainbuf, 100, ref);
		CHECK_EQ(crypto_open(&c.rx, ref, n, &p, &plen), CRYPTO_ERR_MAC);
		CHECK(sodium_is_zero(ref + CRYPTO_RECORD_HDR, 100));
		CHECK_EQ(c.rx.rekeys, 1);
	}
	side_wipe(&c);
	side_wipe(&s);
}

/*
 * Sets from a later version, with ciphers this one does not know (bit 7 here), still
 * negotiate what both know, each way.
 */
static void
test_unknown_ciphers(void)
{
	struct side c = {0}, s = {0};

	pair(&c, &s, 0, NULL, CRYPTO_CIPHER_CHACHA20POLY1305, CRYPTO_CIPHER_CHACHA20POLY1305);
	c.id.accept |= 0x80; /* offered in msg1 */
	s.id.accept |= 0x80; /* returned in msg2 */
	CHECK_EQ(handshake(&c, &s, T0), CRYPTO_OK);
	CHECK_EQ(c.tx.cipher, CRYPTO_CIPHER_CHACHA20POLY1305);
	CHECK_EQ(roundtrip(&c.tx, &s.rx, 1, 1000, 9), CRYPTO_OK);
	side_wipe(&c);
	side_wipe(&s);
}

/* Who accepts what: every pair of configurations, and 'none'. */
static void
test_negotiation(void)
{
	int aes = crypto_cipher_usable(CRYPTO_CIPHER_AES256GCM),
	    aegis = crypto_cipher_usable(CRYPTO_CIPHER_AEGIS256X4);
	int a, b;

	for (a = CRYPTO_CIPHER_AUTO; a <= CRYPTO_CIPHER_AEGIS256X4; a++) {
		for (b = CRYPTO_CIPHER_AUTO; b <= CRYPTO_CIPHER_AEGIS256X4; b++) {
			struct side c = {0}, s = {0};
			int want, rc, missing = -1;

			if (!aes && (a == CRYPTO_CIPHER_AES256GCM || b == CRYPTO_CIPHER_AES256GCM))
				missing = CRYPTO_CIPHER_AES256GCM;
			if (!aegis &&
			    (a == CRYPTO_CIPHER_AEGIS256X4 || b == CRYPTO_CIPHER_AEGIS256X4))
				missing = CRYPTO_CIPHER_AEGIS256X4;
			if (missing != -1) {
				struct crypto_id id;

				CHECK_EQ(
					crypto_id_init(
						&id, NULL,
						(const uint8_t *)"0123456789abcdef0123456789abcdef",
						(enum crypto_cipher)missing),
					CRYPTO_ERR_CIPHER);
				continue;
			}
			/* expected: equal explicit choices; auto matches any cipher but none, the
			 * fastest both can (aegis256x4, aes256gcm, chacha20poly1305); none only
			 * with none */
			if (a == b)
				want = a == CRYPTO_CIPHER_AUTO
					       ? (aegis ? CRYPTO_CIPHER_AEGIS256X4
						  : aes ? CRYPTO_CIPHER_AES256GCM
							: CRYPTO_CIPHER_CHACHA20POLY1305)
					       : a;
			else if (a == CRYPTO_CIPHER_NONE || b == CRYPTO_CIPHER_NONE)
				want = -1;
			else if (a == CRYPTO_CIPHER_AUTO)
				want = b;
			else if (b == CRYPTO_CIPHER_AUTO)
				want = a;
			else
				want = -1;
			pair(&c, &s, 0, NULL, (enum crypto_cipher)a, (enum crypto_cipher)b);
			rc = handshake(&c, &s, T0);
			if (want == -1) {
				CHECK_EQ(rc, CRYPTO_ERR_CIPHER);
				side_wipe(&c);
				side_wipe(&s);
				continue;
			}
			CHECK_EQ(rc, CRYPTO_OK);
			CHECK_EQ(c.tx.cipher, want);
			CHECK_EQ(s.rx.cipher, want);
			CHECK_EQ(roundtrip(&c.tx, &s.rx, 1, 1000, 9), CRYPTO_OK);
			CHECK_EQ(roundtrip(&s.tx, &c.rx, 1, 1000, 8), CRYPTO_OK);
			if (want == CRYPTO_CIPHER_NONE) {
				size_t n =
					crypto_seal(&c.tx, 1, (const uint8_t *)"visible", 7, wire);

				CHECK(n == 10 && memcmp(wire + 3, "visible", 7) == 0);
				wire[0] |= 0x80; /* no rekey without keys */
				{
					size_t total;

					CHECK_EQ(crypto_record_len(&s.rx, wire, n, &total),
						 CRYPTO_ERR_MALFORMED);
				}
			}
			side_wipe(&c);
			side_wipe(&s);
		}
	}
	/* none still authenticates the handshake */
	{
		struct side c = {0}, s = {0};
		uint8_t other[32];

		pair(&c, &s, 0, NULL, CRYPTO_CIPHER_NONE, CRYPTO_CIPHER_NONE);
		crypto_genkey(other);
		crypto_pubkey(s.peer.pub, other);
		CHECK_EQ(handshake(&c, &s, T0), CRYPTO_ERR_UNKNOWN_PEER);
		side_wipe(&c);
		side_wipe(&s);
	}
}

static void
test_record_len(void)
{
	struct crypto_rec rec;
	uint8_t hdr[3] = {0x01, 0x08, 0x01}; /* 67585 > CRYPTO_RECORD_MAX */
	size_t total;

	memset(&rec, 0, sizeof(rec));
	rec.cipher = CRYPTO_CIPHER_CHACHA20POLY1305;
	CHECK_EQ(crypto_record_len(&rec, hdr, 3, &total), CRYPTO_ERR_MALFORMED);
	hdr[2] = 0x00;
	CHECK_EQ(crypto_record_len(&rec, hdr, 3, &total), CRYPTO_OK);
	CHECK_EQ(total, CRYPTO_RECORD_MAX + CRYPTO_RECORD_OVERHEAD);
	CHECK_EQ(crypto_record_len(&rec, hdr, 0, &total), CRYPTO_ERR_SHORT);
	/* an empty state (zeroed, or wiped) seals and opens nothing, and copies as empty */
	{
		struct crypto_rec e = {0}, f = {0};
		uint8_t *p;
		size_t plen;

		CHECK(crypto_seal(&e, 1, plainbuf, 10, wire) == 0);
		memset(wire, 0, 3 + 10 + 16);
		wire[2] = 10;
		CHECK_EQ(crypto_open(&e, wire, 3 + 10 + 16, &p, &plen), CRYPTO_ERR_STATE);
		CHECK_EQ(crypto_rec_copy(&f, &e), CRYPTO_OK);
		CHECK_EQ(crypto_rec_copy(&f, &f), CRYPTO_ERR_STATE);
		CHECK(crypto_seal(&f, 1, plainbuf, 10, wire) == 0);
		crypto_rec_wipe(&e);
		crypto_rec_wipe(&f);
	}
	CHECK(strcmp(crypto_strerror(CRYPTO_ERR_REPLAY), "replay") == 0);
	CHECK(strcmp(crypto_strerror(CRYPTO_ERR_NOMEM), "out of memory") == 0);
	CHECK(strcmp(crypto_cipher_name(CRYPTO_CIPHER_AES256GCM), "aes256gcm") == 0);
	CHECK(strcmp(crypto_cipher_name(CRYPTO_CIPHER_AEGIS256X4), "aegis256x4") == 0);
}

int
main(void)
{
	if (crypto_init() == -1) {
		fprintf(stderr, "sodium_init failed\n");
		return 1;
	}
	test_vectors();
	test_noise_tamper();
	test_keys();
	test_handshake_modes();
	test_wrong_keys();
	test_replay();
	test_garbage();
	test_records();
	test_rekey();
	test_wire_compat();
	test_negotiation();
	test_unknown_ciphers();
	test_record_len();
	if (failures) {
		fprintf(stderr, "test_crypto: %d failures\n", failures);
		return 1;
	}
	printf("test_crypto: all passed (records by %s %s; AES-GCM %s%s)\n", aead_backend(),
	       aead_backend_version(),
	       crypto_aead_aes256gcm_is_available() ? "tested on " : "not available, skipped",
	       crypto_aead_aes256gcm_is_available() ? aead_aes_impl() : "");
	return 0;
}
