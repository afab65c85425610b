package io.discagent.service.burn;

import io.discagent.api.error.InvalidArgumentException;
import io.discagent.service.problem.ServiceProblem;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Opens the image a client asks the service to burn, only if it lies inside the burn directory: the asked path
 * (relative to the directory, or absolute) is resolved to its real path (every symbolic link and {@code ..} followed),
 * which must be a regular file below the directory's own real path; then that real path is opened component by
 * component from the directory with {@code openat(O_NOFOLLOW)} ({@link SecureDirectoryStream}), so a link swapped in
 * after the check is refused instead of followed. The open channel is what the agent burns: what happens to the path
 * afterwards does not matter. Where the platform has no secure directory streams (Windows), the real path is opened
 * without following a final link and resolved again after the open, which narrows the window but cannot close it.
 *
 * <p>Opening may block (a slow disk, a FIFO swapped in): callers run it off the event loop.
 */
public final class ImageFiles {

    private ImageFiles() {
    }

    /** An opened image: its real path and the channel to burn. */
    public record Opened(Path realPath, FileChannel channel) {
    }

    /**
     * Opens {@code asked} inside {@code directory}.
     *
     * @throws ServiceProblem {@code image-not-allowed} outside the directory (or when it is not a regular file),
     *     {@code image-not-found} when it does not exist (only for a path inside the directory: whether a file
     *     outside exists is not told)
     * @throws InvalidArgumentException when {@code asked} is not a path
     */
    public static Opened open(Path directory, String asked) {
        Path root;
        try {
            root = directory.toRealPath();
        } catch (IOException e) {
            throw ServiceProblem.imageNotAllowed("the burn directory " + directory + " cannot be read: " + e);
        }
        Path wanted;
        try {
            wanted = Path.of(asked);
        } catch (InvalidPathException e) {
            throw new InvalidArgumentException("'image' is not a path: " + e.getMessage());
        }
        Path lexical = (wanted.isAbsolute() ? wanted : root.resolve(wanted)).normalize();
        Path real;
        try {
            real = lexical.toRealPath();
        } catch (NoSuchFileException e) {
            if (!lexical.startsWith(root) && !lexical.startsWith(directory.toAbsolutePath().normalize())) {
                // outside the directory even before links: say nothing about whether it exists
                throw ServiceProblem.imageNotAllowed("the image '" + ServiceProblem.shorten(asked) + "' is outside "
                        + "the burn directory " + root);
            }
            throw ServiceProblem.imageNotFound(asked);
        } catch (IOException e) {
            throw ServiceProblem.imageNotAllowed("the image '" + ServiceProblem.shorten(asked) + "' cannot be "
                    + "resolved: " + e.getMessage());
        }
        if (!real.startsWith(root) || real.equals(root)) {
            throw ServiceProblem.imageNotAllowed("the image '" + ServiceProblem.shorten(asked) + "' is " + real
                    + ", outside the burn directory " + root);
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw ServiceProblem.imageNotAllowed("the image " + real + " is not a regular file");
        }
        try {
            return new Opened(real, openBeneath(root, root.relativize(real)));
        } catch (NoSuchFileException e) {
            throw ServiceProblem.imageNotFound(asked);
        } catch (IOException e) {
            throw ServiceProblem.imageNotAllowed("the image " + real + " cannot be opened without following a link "
                    + "(it changed since it was resolved?): " + e);
        }
    }

    /** Opens {@code relative} (no links, no {@code ..}) below {@code root} without following any link. */
    private static FileChannel openBeneath(Path root, Path relative) throws IOException {
        try (DirectoryStream<Path> top = Files.newDirectoryStream(root)) {
            if (top instanceof SecureDirectoryStream<Path> secure) {
                return openSecurely(secure, relative);
            }
        }
        Path real = root.resolve(relative);
        FileChannel channel = FileChannel.open(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        try {
            if (!real.toRealPath().equals(real)) {
                throw new IOException(real + " resolves elsewhere now");
            }
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static FileChannel openSecurely(SecureDirectoryStream<Path> top, Path relative) throws IOException {
        List<SecureDirectoryStream<Path>> opened = new ArrayList<>();
        try {
            SecureDirectoryStream<Path> dir = top;
            for (int i = 0; i < relative.getNameCount() - 1; i++) {
                dir = dir.newDirectoryStream(relative.getName(i), LinkOption.NOFOLLOW_LINKS);
                opened.add(dir);
            }
            SeekableByteChannel channel = dir.newByteChannel(relative.getFileName(),
                    Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
            if (channel instanceof FileChannel file) {
                return file;
            }
            channel.close();
            throw new IOException("the platform opened " + relative + " as " + channel.getClass().getName()
                    + ", not a file channel");
        } finally {
            for (SecureDirectoryStream<Path> dir : opened) {
                dir.close();
            }
        }
    }
}
