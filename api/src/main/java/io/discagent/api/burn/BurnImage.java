package io.discagent.api.burn;

import io.discagent.api.error.InvalidArgumentException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jspecify.annotations.Nullable;

/**
 * The image a burn writes: an ISO 9660 or UDF image of whole 2048-byte sectors, read from an open file. Whoever made
 * a {@code BurnImage} closes it, except one made by {@link #handOver}, which the burn closes; a burn built from a
 * {@link Path} ({@link BurnRequest#builder(Path)}) opens and closes its own.
 *
 * <p>The agent reads it only through the open channel: once opened, renaming or replacing the file at its path does
 * not change what is burned (the service relies on this: it checks the file it opened, not a path).
 */
public final class BurnImage implements Closeable {

    private final FileChannel channel;
    private final String name;
    private final boolean owned;
    private final boolean handedOver;

    private BurnImage(FileChannel channel, String name, boolean owned, boolean handedOver) {
        this.channel = channel;
        this.name = name;
        this.owned = owned;
        this.handedOver = handedOver;
    }

    /**
     * Opens an image file for reading; {@link #close()} closes it.
     *
     * @param file the image file
     * @return the image, named after the file's path
     * @throws InvalidArgumentException when {@code file} is {@code null} or cannot be opened (it names the file and
     *     the reason)
     */
    public static BurnImage open(Path file) {
        InvalidArgumentException.requireNonNull(file, "image");
        try {
            return new BurnImage(FileChannel.open(file, StandardOpenOption.READ), file.toString(), true, false);
        } catch (IOException | RuntimeException e) {
            throw new InvalidArgumentException("the image " + file + " cannot be opened: " + e);
        }
    }

    /**
     * An image read from a channel the caller opened (and closes: {@link #close()} leaves it open).
     *
     * @param channel an open channel of the image, read from position 0 on
     * @param name how the image is named in messages and events (its path, usually)
     * @return the image, whose {@link #close()} leaves the channel open
     * @throws InvalidArgumentException if {@code channel} or {@code name} is {@code null}
     */
    public static BurnImage of(FileChannel channel, String name) {
        return new BurnImage(InvalidArgumentException.requireNonNull(channel, "channel"),
                InvalidArgumentException.requireNonNull(name, "name"), false, false);
    }

    /**
     * An image read from a channel the caller opened and hands over to the one burn it is given to: the agent closes
     * it once that burn has stopped reading it (when the burn ends, fails, is refused or is cancelled, after its
     * writer stopped). A caller whose burn never started (its {@code Flux} failed before the first progress) closes
     * it itself.
     *
     * @param channel an open channel of the image, read from position 0 on
     * @param name how the image is named in messages and events (its path, usually)
     * @return the image, whose {@link #close()} closes the channel
     * @throws InvalidArgumentException if {@code channel} or {@code name} is {@code null}
     */
    public static BurnImage handOver(FileChannel channel, String name) {
        return new BurnImage(InvalidArgumentException.requireNonNull(channel, "channel"),
                InvalidArgumentException.requireNonNull(name, "name"), true, true);
    }

    /**
     * Whether the burn closes it.
     *
     * @return {@code true} for an image made by {@link #handOver}
     */
    public boolean handedOver() {
        return handedOver;
    }

    /**
     * How it is named in messages and events.
     *
     * @return the name given, or the path of a file {@link #open opened} by this class
     */
    public String name() {
        return name;
    }

    /**
     * Its size in bytes now.
     *
     * @return the size of the channel's file
     * @throws IOException if the size cannot be read (for example, the channel is closed)
     */
    public long size() throws IOException {
        return channel.size();
    }

    /**
     * Reads from {@code position} into {@code dst} (positional: any thread, no shared position).
     *
     * @param dst where the bytes go, filled from its position up to its limit at most
     * @param position the offset in the image to read from
     * @return the bytes read, -1 at the end
     * @throws IOException if reading fails (for example, the channel is closed)
     */
    public int read(ByteBuffer dst, long position) throws IOException {
        return channel.read(dst, position);
    }

    /** Closes the channel if this image opened it. */
    @Override
    public void close() throws IOException {
        if (owned) {
            channel.close();
        }
    }

    /**
     * Closes like {@link #close()}, without throwing.
     *
     * @return the failure of {@link #close()}, or {@code null} when it succeeded
     */
    public @Nullable IOException closeQuietly() {
        try {
            close();
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    @Override
    public String toString() {
        return "image " + name;
    }
}
