/*
 * noise: Noise handshake engine (see noise.h). The functions follow the specification's
 * objects one for one (sections 5.1-5.3) so a reader can check them against it:
 *
 *   HASH    BLAKE2b-512 (crypto_generichash with a 64-byte output)
 *   HMAC    RFC 2104 over BLAKE2b, block length 128 (libsodium has none for BLAKE2b)
 *   HKDF    Noise's two- or three-output HKDF on that HMAC
 *   ENCRYPT ChaCha20-Poly1305 IETF, nonce = 32 zero bits || 64-bit little-endian counter
 *   DH      X25519; an all-zero output (low-order point) is an error
 *
 * Patterns (section 7 and 9 of the specification):
 *   NN      -> e                  <- e, ee
 *   NNpsk0  -> psk, e             <- e, ee
 *   IK      <- s ... -> e, es, s, ss      <- e, ee, se
 *   IKpsk2  <- s ... -> e, es, s, ss      <- e, ee, se, psk
 * In a psk pattern the "e" token also runs MixKey(e.public_key).
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "noise.h"

#define NOISE_BLOCKLEN	 128 /* BLAKE2b block, for HMAC */
#define NOISE_MAX_TOKENS 5

enum noise_token { TOK_END, TOK_E, TOK_S, TOK_EE, TOK_ES, TOK_SE, TOK_SS, TOK_PSK };

struct noise_pattern_def {
	const char *name;
	int psk;	 /* has a psk modifier */
	int resp_static; /* pre-message "<- s" */
	enum noise_token msgs[2][NOISE_MAX_TOKENS];
};

static const struct noise_pattern_def patterns[] = {
	[NOISE_IK] = {"Noise_IK_25519_ChaChaPoly_BLAKE2b",
		      0,
		      1,
		      {{TOK_E, TOK_ES, TOK_S, TOK_SS, TOK_END}, {TOK_E, TOK_EE, TOK_SE, TOK_END}}},
	[NOISE_IKPSK2] = {"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b",
			  1,
			  1,
			  {{TOK_E, TOK_ES, TOK_S, TOK_SS, TOK_END},
			   {TOK_E, TOK_EE, TOK_SE, TOK_PSK, TOK_END}}},
	[NOISE_NN] = {"Noise_NN_25519_ChaChaPoly_BLAKE2b",
		      0,
		      0,
		      {{TOK_E, TOK_END}, {TOK_E, TOK_EE, TOK_END}}},
	[NOISE_NNPSK0] = {"Noise_NNpsk0_25519_ChaChaPoly_BLAKE2b",
			  1,
			  0,
			  {{TOK_PSK, TOK_E, TOK_END}, {TOK_E, TOK_EE, TOK_END}}},
};

/* HASH(a || b) */
static void
hash2(uint8_t out[NOISE_HASHLEN], const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_update(&st, a, alen);
	if (blen > 0)
		crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, out, NOISE_HASHLEN);
	sodium_memzero(&st, sizeof(st));
}

/* HMAC-BLAKE2b(key, a || b); key is at most one block (it is always HASHLEN here). */
static void
hmac(uint8_t out[NOISE_HASHLEN], const uint8_t *key, size_t keylen, const uint8_t *a, size_t alen,
     const uint8_t *b, size_t blen)
{
	uint8_t pad[NOISE_BLOCKLEN], inner[NOISE_HASHLEN];
	crypto_generichash_state st;
	size_t i;

	memset(pad, 0, sizeof(pad));
	memcpy(pad, key, keylen);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	crypto_generichash_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_update(&st, pad, sizeof(pad));
	crypto_generichash_update(&st, a, alen);
	if (blen > 0)
		crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, inner, sizeof(inner));
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	crypto_generichash_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_update(&st, pad, sizeof(pad));
	crypto_generichash_update(&st, inner, sizeof(inner));
	crypto_generichash_final(&st, out, NOISE_HASHLEN);
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(&st, sizeof(st));
}

/* HKDF(ck, ikm) with two or three outputs (o3 may be NULL). */
static void
hkdf(const uint8_t ck[NOISE_HASHLEN], const uint8_t *ikm, size_t ikmlen, uint8_t o1[NOISE_HASHLEN],
     uint8_t o2[NOISE_HASHLEN], uint8_t *o3)
{
	static const uint8_t one = 1, two = 2, three = 3;
	uint8_t temp[NOISE_HASHLEN];

	hmac(temp, ck, NOISE_HASHLEN, ikm, ikmlen, NULL, 0);
	hmac(o1, temp, sizeof(temp), &one, 1, NULL, 0);
	hmac(o2, temp, sizeof(temp), o1, NOISE_HASHLEN, &two, 1);
	if (o3 != NULL)
		hmac(o3, temp, sizeof(temp), o2, NOISE_HASHLEN, &three, 1);
	sodium_memzero(temp, sizeof(temp));
}

static void
mix_hash(struct noise_hs *hs, const uint8_t *data, size_t len)
{
	hash2(hs->h, hs->h, sizeof(hs->h), data, len);
}

static void
mix_key(struct noise_hs *hs, const uint8_t *ikm, size_t len)
{
	uint8_t o1[NOISE_HASHLEN], o2[NOISE_HASHLEN];

	hkdf(hs->ck, ikm, len, o1, o2, NULL);
	memcpy(hs->ck, o1, sizeof(hs->ck));
	memcpy(hs->k, o2, NOISE_KEYLEN); /* truncated: HASHLEN is 64 */
	hs->has_k = 1;
	hs->n = 0;
	sodium_memzero(o1, sizeof(o1));
	sodium_memzero(o2, sizeof(o2));
}

static void
mix_key_and_hash(struct noise_hs *hs, const uint8_t *ikm, size_t len)
{
	uint8_t o1[NOISE_HASHLEN], o2[NOISE_HASHLEN], o3[NOISE_HASHLEN];

	hkdf(hs->ck, ikm, len, o1, o2, o3);
	memcpy(hs->ck, o1, sizeof(hs->ck));
	mix_hash(hs, o2, sizeof(o2));
	memcpy(hs->k, o3, NOISE_KEYLEN);
	hs->has_k = 1;
	hs->n = 0;
	sodium_memzero(o1, sizeof(o1));
	sodium_memzero(o2, sizeof(o2));
	sodium_memzero(o3, sizeof(o3));
}

static void
nonce_le(uint8_t nonce[12], uint64_t n)
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/* EncryptAndHash: out gets len (+ tag when keyed) bytes. */
static int
encrypt_and_hash(struct noise_hs *hs, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t nonce[12];

	if (!hs->has_k) {
		memmove(out, in, len);
		mix_hash(hs, out, len);
		return 0;
	}
	if (hs->n == UINT64_MAX)
		return -1;
	nonce_le(nonce, hs->n);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, in, len, hs->h, sizeof(hs->h), NULL,
						  nonce, hs->k);
	hs->n++;
	mix_hash(hs, out, len + NOISE_TAGLEN);
	return 0;
}

/* DecryptAndHash: in has len bytes (including the tag when keyed). */
static int
decrypt_and_hash(struct noise_hs *hs, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t nonce[12];
	uint8_t hnext[NOISE_HASHLEN];

	if (!hs->has_k) {
		mix_hash(hs, in, len);
		memmove(out, in, len);
		return 0;
	}
	if (len < NOISE_TAGLEN || hs->n == UINT64_MAX)
		return -1;
	/* h must absorb the ciphertext, which out may overwrite when in == out. */
	hash2(hnext, hs->h, sizeof(hs->h), in, len);
	nonce_le(nonce, hs->n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, in, len, hs->h,
						      sizeof(hs->h), nonce, hs->k) != 0)
		return -1;
	hs->n++;
	memcpy(hs->h, hnext, sizeof(hs->h));
	return 0;
}

/* MixKey(DH(priv, pub)); fails on the all-zero output of a low-order point. */
static int
mix_dh(struct noise_hs *hs, const uint8_t priv[NOISE_DHLEN], const uint8_t pub[NOISE_DHLEN])
{
	uint8_t shared[NOISE_DHLEN];
	int rc;

	rc = crypto_scalarmult(shared, priv, pub);
	if (rc == 0)
		mix_key(hs, shared, sizeof(shared));
	sodium_memzero(shared, sizeof(shared));
	return rc == 0 ? 0 : -1;
}

int
noise_init(struct noise_hs *hs, enum noise_pattern pattern, int initiator, const uint8_t *prologue,
	   size_t prologue_len, const uint8_t *s_priv, const uint8_t *rs, const uint8_t *psk)
{
	const struct noise_pattern_def *p;
	size_t namelen;

	memset(hs, 0, sizeof(*hs));
	if ((unsigned)pattern >= sizeof(patterns) / sizeof(patterns[0]))
		return -1;
	p = &patterns[pattern];
	/* Reject arguments that do not fit: a caller bug, never network input. */
	if ((p->psk != 0) != (psk != NULL) || (p->resp_static != 0) != (s_priv != NULL) ||
	    (p->resp_static && initiator) != (rs != NULL) || prologue_len > NOISE_PROLOGUE_MAX)
		return -1;
	hs->pattern = pattern;
	hs->initiator = initiator;

	/* InitializeSymmetric: the name fits in HASHLEN, so h is the name zero-padded. */
	namelen = strlen(p->name);
	memcpy(hs->h, p->name, namelen);
	memcpy(hs->ck, hs->h, sizeof(hs->ck));
	mix_hash(hs, prologue, prologue_len);

	if (s_priv != NULL) {
		memcpy(hs->s_priv, s_priv, NOISE_DHLEN);
		crypto_scalarmult_base(hs->s_pub, hs->s_priv);
		hs->has_s = 1;
	}
	if (rs != NULL) {
		memcpy(hs->rs, rs, NOISE_DHLEN);
		hs->has_rs = 1;
	}
	if (psk != NULL)
		memcpy(hs->psk, psk, NOISE_KEYLEN);
	/* Pre-message "<- s": both sides hash the responder's static public key. */
	if (p->resp_static)
		mix_hash(hs, initiator ? hs->rs : hs->s_pub, NOISE_DHLEN);
	return 0;
}

void
noise_set_ephemeral(struct noise_hs *hs, const uint8_t e_priv[NOISE_DHLEN])
{
	memcpy(hs->e_priv, e_priv, NOISE_DHLEN);
	crypto_scalarmult_base(hs->e_pub, hs->e_priv);
	hs->has_e = 1;
}

void
noise_set_psk(struct noise_hs *hs, const uint8_t psk[NOISE_KEYLEN])
{
	memcpy(hs->psk, psk, NOISE_KEYLEN);
}

size_t
noise_msg_len(const struct noise_hs *hs, size_t plen)
{
	const struct noise_pattern_def *p = &patterns[hs->pattern];
	const enum noise_token *t;
	size_t len = 0;
	int keyed = hs->has_k;

	if (hs->msg > 1)
		return 0;
	for (t = p->msgs[hs->msg]; *t != TOK_END; t++) {
		switch (*t) {
		case TOK_E:
			len += NOISE_DHLEN;
			keyed |= p->psk;
			break;
		case TOK_S:
			len += NOISE_DHLEN + (keyed ? NOISE_TAGLEN : 0);
			break;
		default:
			keyed = 1;
			break;
		}
	}
	return len + plen + (keyed ? NOISE_TAGLEN : 0);
}

/* The DH for es/se/ee/ss from this side's point of view. */
static int
token_dh(struct noise_hs *hs, enum noise_token t)
{
	int ini = hs->initiator;

	switch (t) {
	case TOK_EE:
		return mix_dh(hs, hs->e_priv, hs->re);
	case TOK_ES:
		return ini ? mix_dh(hs, hs->e_priv, hs->rs) : mix_dh(hs, hs->s_priv, hs->re);
	case TOK_SE:
		return ini ? mix_dh(hs, hs->s_priv, hs->re) : mix_dh(hs, hs->e_priv, hs->rs);
	case TOK_SS:
		return mix_dh(hs, hs->s_priv, hs->rs);
	default:
		return -1;
	}
}

/* Does this side send message hs->msg? Initiator sends 0, responder sends 1. */
static int
my_turn(const struct noise_hs *hs)
{
	return hs->msg < 2 && (hs->msg == 0) == (hs->initiator != 0);
}

int
noise_write(struct noise_hs *hs, const uint8_t *payload, size_t plen, uint8_t *out, size_t cap,
	    size_t *outlen)
{
	const struct noise_pattern_def *p = &patterns[hs->pattern];
	const enum noise_token *t;
	size_t off = 0;

	if (!my_turn(hs) || noise_msg_len(hs, plen) > cap)
		return -1;
	for (t = p->msgs[hs->msg]; *t != TOK_END; t++) {
		switch (*t) {
		case TOK_E:
			if (!hs->has_e) {
				randombytes_buf(hs->e_priv, sizeof(hs->e_priv));
				crypto_scalarmult_base(hs->e_pub, hs->e_priv);
				hs->has_e = 1;
			}
			memcpy(out + off, hs->e_pub, NOISE_DHLEN);
			off += NOISE_DHLEN;
			mix_hash(hs, hs->e_pub, NOISE_DHLEN);
			if (p->psk)
				mix_key(hs, hs->e_pub, NOISE_DHLEN);
			break;
		case TOK_S:
			if (encrypt_and_hash(hs, hs->s_pub, NOISE_DHLEN, out + off) == -1)
				return -1;
			off += NOISE_DHLEN + (hs->has_k ? NOISE_TAGLEN : 0);
			break;
		case TOK_PSK:
			mix_key_and_hash(hs, hs->psk, sizeof(hs->psk));
			break;
		default:
			if (token_dh(hs, *t) == -1)
				return -1;
			break;
		}
	}
	if (encrypt_and_hash(hs, payload, plen, out + off) == -1)
		return -1;
	off += plen + (hs->has_k ? NOISE_TAGLEN : 0);
	*outlen = off;
	hs->msg++;
	return 0;
}

int
noise_read(struct noise_hs *hs, const uint8_t *msg, size_t len, uint8_t *payload, size_t cap,
	   size_t *plen)
{
	const struct noise_pattern_def *p = &patterns[hs->pattern];
	const enum noise_token *t;
	size_t off = 0, need, slen;

	if (hs->msg > 1 || my_turn(hs))
		return -1;
	need = noise_msg_len(hs, 0);
	if (len < need || len - need > cap)
		return -1;
	for (t = p->msgs[hs->msg]; *t != TOK_END; t++) {
		switch (*t) {
		case TOK_E:
			memcpy(hs->re, msg + off, NOISE_DHLEN);
			hs->has_re = 1;
			off += NOISE_DHLEN;
			mix_hash(hs, hs->re, NOISE_DHLEN);
			if (p->psk)
				mix_key(hs, hs->re, NOISE_DHLEN);
			break;
		case TOK_S:
			slen = NOISE_DHLEN + (hs->has_k ? NOISE_TAGLEN : 0);
			if (decrypt_and_hash(hs, msg + off, slen, hs->rs) == -1)
				return -1;
			hs->has_rs = 1;
			off += slen;
			break;
		case TOK_PSK:
			mix_key_and_hash(hs, hs->psk, sizeof(hs->psk));
			break;
		default:
			if (token_dh(hs, *t) == -1)
				return -1;
			break;
		}
	}
	/* The length check above made room for exactly this payload. */
	if (decrypt_and_hash(hs, msg + off, len - off, payload) == -1)
		return -1;
	*plen = len - off - (hs->has_k ? NOISE_TAGLEN : 0);
	hs->msg++;
	return 0;
}

int
noise_done(const struct noise_hs *hs)
{
	return hs->msg == 2;
}

const uint8_t *
noise_remote_static(const struct noise_hs *hs)
{
	return hs->has_rs ? hs->rs : NULL;
}

int
noise_split(struct noise_hs *hs, uint8_t k1[NOISE_KEYLEN], uint8_t k2[NOISE_KEYLEN])
{
	uint8_t o1[NOISE_HASHLEN], o2[NOISE_HASHLEN];

	if (!noise_done(hs))
		return -1;
	hkdf(hs->ck, NULL, 0, o1, o2, NULL);
	memcpy(k1, o1, NOISE_KEYLEN);
	memcpy(k2, o2, NOISE_KEYLEN);
	sodium_memzero(o1, sizeof(o1));
	sodium_memzero(o2, sizeof(o2));
	return 0;
}

void
noise_handshake_hash(const struct noise_hs *hs, uint8_t out[NOISE_HASHLEN])
{
	memcpy(out, hs->h, NOISE_HASHLEN);
}

void
noise_wipe(struct noise_hs *hs)
{
	sodium_memzero(hs, sizeof(*hs));
}
