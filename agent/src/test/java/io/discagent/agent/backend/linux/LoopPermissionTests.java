package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Permissions, as an agent running without root meets them: the backend runs as user {@code nobody} (through
 * {@code setpriv}) against private device nodes ({@code mknod}) of a real loop device with chosen modes. Write
 * refused &rarr; the read-only fallback holds the device; no access at all &rarr; {@code E_ACCESSDENIED} with the
 * hint about group {@code cdrom} and udev. Needs root to set up; skipped otherwise.
 */
class LoopPermissionTests {

    private static final int NOBODY = 65534;

    @TempDir
    static Path dir;
    private static LoopDevice loop;
    private static String classpath;
    private static Path jnaTemp;

    @BeforeAll
    static void prepare() throws IOException {
        LoopDevice.assumeUsable();
        assumeTrue(Shell.exists("setpriv") && Shell.exists("mknod"), "setpriv and mknod (util-linux, coreutils) "
                + "are needed to run the backend unprivileged");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        loop = LoopDevice.attach(dir);
        classpath = worldReadableClasspath(dir.resolve("cp"));
        jnaTemp = Files.createDirectory(dir.resolve("jna"));
        Files.setPosixFilePermissions(jnaTemp, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    @AfterAll
    static void detach() {
        if (loop != null) {
            loop.close();
        }
    }

    @Test
    void refusedWritingFallsBackToAReadOnlyHold() {
        String result = probeAsNobody(privateNode("rw----r--"));
        assertThat(result).startsWith("ACQUIRED read-only").contains("access=read-only");
    }

    @Test
    void noAccessIsAccessDeniedWithAHint() {
        String result = probeAsNobody(privateNode("rw-------"));
        assertThat(result).startsWith("FAILED 0x80070005 AccessDeniedException")
                .contains("EACCES").contains("cdrom").contains("udev rule");
    }

    @Test
    void fullAccessHoldsReadWrite() {
        String result = probeAsNobody(privateNode("rw-rw-rw-"));
        assertThat(result).startsWith("ACQUIRED read-write").contains("access=read-write");
    }

    private static Path privateNode(String mode) {
        try {
            Path node = dir.resolve("node-" + mode.replace('-', '_'));
            DeviceNumber number = loop.number();
            Shell.ok("mknod", node.toString(), "b", Integer.toString(number.major()),
                    Integer.toString(number.minor()));
            Files.setPosixFilePermissions(node, PosixFilePermissions.fromString(mode));
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String probeAsNobody(Path node) {
        Shell.Result result = Shell.run("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                ChildJvm.java(), "-Djna.tmpdir=" + jnaTemp, "-cp", classpath, PermissionProbe.class.getName(),
                node.toString());
        System.out.println("as nobody on " + node + ": " + result.output());
        return result.output().lines().filter(l -> l.startsWith("ACQUIRED") || l.startsWith("FAILED")
                || l.startsWith("NOT FOUND")).findFirst().orElse(result.output());
    }

    /** Copies the test class path where user nobody can read it (root's Maven repository is private). */
    private static String worldReadableClasspath(Path target) throws IOException {
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path source = Path.of(entry);
            if (!Files.exists(source)) {
                continue;
            }
            Path copy = target.resolve((n++) + "-" + source.getFileName());
            TestFiles.copyTree(source, copy);
            entries.add(copy.toString());
        }
        try (Stream<Path> all = Files.walk(target)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x"
                        : "rw-r--r--"));
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
