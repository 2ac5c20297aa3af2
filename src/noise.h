/*
 * noise: the Noise Protocol Framework (revision 34) handshake, for the few patterns mptun
 * runs, over 25519, ChaChaPoly and BLAKE2b from libsodium.
 *
 * This is the generic engine only: CipherState, SymmetricState and HandshakeState as the
 * specification names them, driven by a token table. It knows nothing of mptun's message
 * framing, payloads or records (src/crypto.c). Pure: no fds, no clock, no allocation; the
 * only randomness is the ephemeral key, which a test may fix with noise_set_ephemeral to
 * reproduce published vectors. Every secret in struct noise_hs is wiped by noise_wipe.
 */
#ifndef MPTUN_NOISE_H
#define MPTUN_NOISE_H

#include <stddef.h>
#include <stdint.h>

#define NOISE_DHLEN	   32 /* X25519 keys and shared secrets */
#define NOISE_HASHLEN	   64 /* BLAKE2b-512 */
#define NOISE_KEYLEN	   32 /* ChaCha20-Poly1305 key */
#define NOISE_TAGLEN	   16 /* Poly1305 tag */
#define NOISE_PROLOGUE_MAX 64

/* Patterns: IKpsk2 and NNpsk0 are mptun's; IK and NN exist for the published vectors. */
enum noise_pattern { NOISE_IK, NOISE_IKPSK2, NOISE_NN, NOISE_NNPSK0 };

struct noise_hs {
	enum noise_pattern pattern;
	int initiator;
	int msg;    /* index of the next handshake message (0 or 1); 2 when complete */
	int has_k;  /* CipherState has a key */
	uint64_t n; /* CipherState nonce */
	uint8_t k[NOISE_KEYLEN];
	uint8_t ck[NOISE_HASHLEN];
	uint8_t h[NOISE_HASHLEN];
	int has_s, has_rs, has_e, has_re;
	uint8_t s_priv[NOISE_DHLEN], s_pub[NOISE_DHLEN];
	uint8_t e_priv[NOISE_DHLEN], e_pub[NOISE_DHLEN];
	uint8_t rs[NOISE_DHLEN], re[NOISE_DHLEN];
	uint8_t psk[NOISE_KEYLEN];
};

/*
 * Start a handshake. s_priv: our static private key (NULL if the pattern has none for this
 * side); rs: the responder's static public key, known beforehand (IK initiator only);
 * psk: the pre-shared key (psk patterns only). -1 if an argument does not fit the pattern.
 */
int noise_init(struct noise_hs *hs, enum noise_pattern pattern, int initiator,
	       const uint8_t *prologue, size_t prologue_len, const uint8_t *s_priv,
	       const uint8_t *rs, const uint8_t *psk);
/* Use this ephemeral private key instead of a fresh random one (known-answer tests only). */
void noise_set_ephemeral(struct noise_hs *hs, const uint8_t e_priv[NOISE_DHLEN]);
/*
 * Replace the pre-shared key before a message whose psk token uses it (an IKpsk2 responder
 * learns who the initiator is from message 1, and the psk comes in message 2).
 */
void noise_set_psk(struct noise_hs *hs, const uint8_t psk[NOISE_KEYLEN]);
/* Length of the next handshake message when it carries a payload of plen bytes. */
size_t noise_msg_len(const struct noise_hs *hs, size_t plen);
/*
 * Write the next handshake message with payload into out (cap bytes); *outlen is its
 * length. -1 on a turn out of order, short space, or a DH giving the all-zero output.
 */
int noise_write(struct noise_hs *hs, const uint8_t *payload, size_t plen, uint8_t *out, size_t cap,
		size_t *outlen);
/*
 * Read the next handshake message; the decrypted payload goes to payload (cap bytes) and
 * its length to *plen. -1 if it is short, long, fails to authenticate or gives a bad DH.
 * After a failure the state is spent: wipe it.
 */
int noise_read(struct noise_hs *hs, const uint8_t *msg, size_t len, uint8_t *payload, size_t cap,
	       size_t *plen);
/* Is the handshake complete (both messages processed)? */
int noise_done(const struct noise_hs *hs);
/* The remote static key, once learned (IK responder after message 1, IK initiator always). */
const uint8_t *noise_remote_static(const struct noise_hs *hs);
/* Split into the initiator-to-responder key k1 and the responder-to-initiator key k2. */
int noise_split(struct noise_hs *hs, uint8_t k1[NOISE_KEYLEN], uint8_t k2[NOISE_KEYLEN]);
/* The handshake hash h (a channel binding); valid once done. */
void noise_handshake_hash(const struct noise_hs *hs, uint8_t out[NOISE_HASHLEN]);
void noise_wipe(struct noise_hs *hs);

#endif
