package io.discagent.service.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/** Secret tokens and session ids: made from {@link SecureRandom}; tokens are compared in constant time. */
public final class Secrets {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {
    }

    /** A new token: 256 random bits, base64url without padding (43 characters). */
    public static String newToken() {
        return random(32);
    }

    /**
     * A new session id: {@code s-} and 128 random bits in base64url (22 characters). Not a secret (the token is),
     * but unguessable and never the same twice, also across restarts: an old client's id names no one else's
     * session.
     */
    public static String newSessionId() {
        return "s-" + random(16);
    }

    private static String random(int bytes) {
        byte[] value = new byte[bytes];
        RANDOM.nextBytes(value);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(value);
    }

    /** Whether {@code given} equals {@code expected}, in time that does not depend on where they differ. */
    public static boolean matches(String expected, String given) {
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }
}
