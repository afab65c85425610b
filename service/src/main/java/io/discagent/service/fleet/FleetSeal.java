package io.discagent.service.fleet;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Seals every fleet message with the fleet's shared secret (AES-256-GCM: encrypted and authenticated), and opens
 * what other members sent. A message that was not sealed with the same secret and for the same fleet does not open:
 * it is dropped. So a process that reaches the cluster ports without the secret can neither read the fleet's
 * messages nor have a forged one believed.
 *
 * <p>The Hazelcast cluster name is derived from the secret too ({@link #clusterName}): a member started without it
 * is refused at the join. That name travels in clear in Hazelcast's join messages, so it is a gate, not a secret:
 * the sealing is what protects the messages (docs/fleet.md).
 */
final class FleetSeal {

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final byte[] fleet;
    private final String clusterName;

    FleetSeal(String fleetName, byte[] secret) {
        this.key = new SecretKeySpec(derive(secret, "discagent fleet message key v1"), "AES");
        this.fleet = fleetName.getBytes(StandardCharsets.UTF_8);
        this.clusterName = fleetName + "-" + HexFormat.of().formatHex(derive(secret, "discagent cluster name v1:"
                + fleetName), 0, 8);
    }

    /** The Hazelcast cluster name: the fleet's name and a tag only holders of the secret compute. */
    String clusterName() {
        return clusterName;
    }

    /** Encrypts {@code message} for the members of this fleet. */
    Buffer seal(JsonObject message) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(fleet);
            byte[] sealed = cipher.doFinal(message.toBuffer().getBytes());
            return Buffer.buffer(NONCE_BYTES + sealed.length).appendBytes(nonce).appendBytes(sealed);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /** Decrypts a message of this fleet; null when it does not open (another secret, another fleet, tampered). */
    @Nullable JsonObject open(@Nullable Object body) {
        if (!(body instanceof Buffer buffer) || buffer.length() <= NONCE_BYTES) {
            return null;
        }
        byte[] bytes = buffer.getBytes();
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
            cipher.updateAAD(fleet);
            byte[] plain = cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES);
            return new JsonObject(Buffer.buffer(plain));
        } catch (GeneralSecurityException | RuntimeException e) {
            return null;
        }
    }

    private static byte[] derive(byte[] secret, String purpose) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(purpose.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(secret);
            return sha.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
