/*
 * Known-answer vectors for the Noise engine (src/noise.c), copied from the cacophony test
 * vector file (vectors/cacophony.txt of the Haskell "cacophony" Noise implementation, the
 * file the Noise community cross-checks implementations against). Those vectors carry
 * no handshake hash; the transport messages after the handshake pin the split keys.
 *
 * The two protocols mptun runs are Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b and
 * Noise_NNpsk0_25519_ChaChaPoly_BLAKE2b. The file holds NNpsk0 exactly; for IKpsk2 it is
 * checked against Noise_IK_25519_ChaChaPoly_BLAKE2b (every token but psk) together with
 * NNpsk0 (the psk token and the psk rule for "e"), so every code path is pinned.
 *
 * All vectors share the prologue "John Galt", the ephemerals and, where used, the statics.
 * Messages alternate initiator, responder; the first two are the handshake, the rest are
 * transport messages under the split keys (nonce = 4 zero bytes || little-endian counter).
 */
#ifndef MPTUN_CRYPTO_VECTORS_H
#define MPTUN_CRYPTO_VECTORS_H

#define VEC_PROLOGUE	   "4a6f686e2047616c74"
#define VEC_INIT_EPHEMERAL "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a"
#define VEC_RESP_EPHEMERAL "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b"
#define VEC_INIT_STATIC	   "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1"
#define VEC_RESP_STATIC	   "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893"
/* the responder's public key as the vector gives it (init_remote_static) */
#define VEC_RESP_PUBLIC "31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62"
#define VEC_PSK		"54686973206973206d7920417573747269616e20706572737065637469766521"

#define VEC_NMSG 6

/* The payloads are the same in every vector. */
static const char *const vec_payloads[VEC_NMSG] = {
	"4c756477696720766f6e204d69736573",
	"4d757272617920526f746862617264",
	"462e20412e20486179656b",
	"4361726c204d656e676572",
	"4a65616e2d426170746973746520536179",
	"457567656e2042f6686d20766f6e2042617765726b",
};

struct noise_vector {
	const char *name;
	int pattern; /* enum noise_pattern */
	int has_psk;
	int has_static;
	const char *ciphertext[VEC_NMSG];
};

static const struct noise_vector noise_vectors[] = {
	{
		"Noise_NN_25519_ChaChaPoly_BLAKE2b",
		NOISE_NN,
		0,
		0,
		{
			"ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
			"4c756477696720766f6e204d69736573",
			"95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843"
			"d10cf8ef4ab895bed3e4673211f0c9337039d63a450c7b28196b8a0ebade00",
			"e50ec882703a1f34bf4957d8cafd036d34e02930f672f424c676e1",
			"35bb2a728d3e8e5f47781d486089e4a37c5c2e4261256f44569a9f",
			"69ee82006e16b79438a34ad9de37ee44d83c267e355750ecf49f194b5c50403030",
			"c568b641b01d2f644f2a890538c359915ca50552e55129c029d3721866c2646a7af3fd1ef"
			"f",
		},
	},
	{
		"Noise_NNpsk0_25519_ChaChaPoly_BLAKE2b",
		NOISE_NNPSK0,
		1,
		0,
		{
			"ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
			"ed63df2f5a12aee1185ee9c50305f2ecf12421dcb53c047a63b784cf7c54a105",
			"95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843"
			"0e0fe7d5c0c9b92f7478716c8852f1b4f389edb75e3ebe546fafafd5b6f0f7",
			"0fe04b26dcfbb69f8a6a94c61f1a26ef88769218d32f5d17c068a6",
			"2239e0c540c01f09eb1f4cc5258fd5acfefff18a5a3773f21b7bfe",
			"f216cb03d30fb8af1e561fe02a07552d09b416e27a75e62c77d193718b0bdaae9f",
			"6e8baf98b944184dd7dc5ef14d8108cbeca626de118a5460f3308e294d61e17238bce29bd"
			"9",
		},
	},
	{
		"Noise_IK_25519_ChaChaPoly_BLAKE2b",
		NOISE_IK,
		0,
		1,
		{
			"ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
			"ba83a447b38c83e327ad936929812f624884847b7831e95e197b2f797088efdd"
			"2f88f1db7e1fb0e99c64419097af91cee64e470f4b6fcd9298ce0b56fe20f86e"
			"13bf70439c538e3602a7127af71a29cc",
			"95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843"
			"9f069b267a06b3de3ecb1043bcb098e9af91d9c64748d998c7b47890871571",
			"cd54383060e7a28434cca27fb1cc524cfbabeb18181589df219d07",
			"a856d3bf0246bfc476c655009cd1ed677b8dcc5b349ae8ef2a05f2",
			"49063084b2c51f098337cb8a13739ac848f907e67cfb2cc8a8b60586467aa02fc7",
			"8b9709d23b47e4639df7678d7a21741eba4ef1e9c60383001c7435549c20f9d56f30e935d"
			"3",
		},
	},
};

#endif
