package io.discagent.agent.spi;

import io.discagent.api.burn.BurnImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The image of a burn, as a backend reads it: its size, and its bytes in order ({@link #read(ByteBuffer)}) or at
 * positions ({@link #read(ByteBuffer, long)}, for a writer that seeks). The agent made it from the image the caller
 * gave, opened once; the SHA-256 of the bytes handed out in order is computed on the way, so that the burn's result
 * names the checksum of exactly what was written. Thread-safe (one reader at a time is expected).
 */
public final class BurnSource {

    private final BurnImage image;
    private final long size;
    private final MessageDigest digest;
    /** The next position of an in-order read; every byte before it went through {@link #digest}. */
    private long next;
    private boolean sequential = true;
    private byte[] checksum;

    /**
     * @param image the open image
     * @param size its size in bytes, as read when the burn started (the burn writes exactly this many)
     */
    public BurnSource(BurnImage image, long size) {
        this.image = image;
        this.size = size;
        this.digest = newDigest();
    }

    /** The image's name, for messages. */
    public String name() {
        return image.name();
    }

    /** The bytes to write. */
    public long size() {
        return size;
    }

    /**
     * Reads the next bytes, in order from 0, and counts them into the checksum.
     *
     * @return the bytes read, -1 at the end of the image
     */
    public synchronized int read(ByteBuffer dst) throws IOException {
        if (next >= size) {
            return -1;
        }
        int n = read(dst, next);
        return n;
    }

    /**
     * Reads bytes at {@code position}. A read that continues where the ordered reads stand counts into the checksum;
     * any other makes the checksum come from a second pass over the image ({@link #sha256()}).
     *
     * @return the bytes read, -1 at or after the end of the image
     */
    public synchronized int read(ByteBuffer dst, long position) throws IOException {
        if (position >= size) {
            return -1;
        }
        ByteBuffer window = dst;
        long room = size - position;
        if (dst.remaining() > room) {
            window = dst.slice(dst.position(), (int) room);
        }
        int start = window.position();
        int n = image.read(window, position);
        if (n <= 0) {
            return n == 0 ? 0 : -1;
        }
        if (window != dst) {
            dst.position(dst.position() + n);
        }
        if (position == next && sequential) {
            ByteBuffer done = window.duplicate();
            done.position(start).limit(start + n);
            digest.update(done);
            next += n;
        } else if (position > next) {
            sequential = false;
        }
        return n;
    }

    /** How many bytes were handed out in order so far. */
    public synchronized long bytesRead() {
        return next;
    }

    /**
     * The SHA-256 of the whole image in lower-case hexadecimal: from the ordered reads when they covered it, else by
     * reading the image once more (blocking; call it where blocking is allowed).
     */
    public synchronized String sha256() throws IOException {
        if (checksum == null) {
            if (!sequential || next != size) {
                MessageDigest again = newDigest();
                ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
                for (long at = 0; at < size; ) {
                    buffer.clear();
                    if (size - at < buffer.capacity()) {
                        buffer.limit((int) (size - at));
                    }
                    int n = image.read(buffer, at);
                    if (n <= 0) {
                        throw new IOException("the image " + image.name() + " ended at " + at + " of " + size
                                + " bytes");
                    }
                    buffer.flip();
                    again.update(buffer);
                    at += n;
                }
                checksum = again.digest();
            } else {
                checksum = digest.digest();
            }
        }
        return HexFormat.of().formatHex(checksum);
    }

    /** A new SHA-256 digest. */
    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
