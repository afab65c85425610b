package io.discagent.agent.backend.windows;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The native stand-in for Windows' OLE DLLs ({@code src/test/native/comshim.c}) on Linux: built here with the
 * system's C compiler the first time a test needs it (into {@code target/comshim}, again whenever the source is newer),
 * one copy per simulated process (so each has its own counters and model), and the four Windows library names
 * jna-platform's interfaces load ({@code Ole32}, {@code OleAut32}, {@code user32}, {@code kernel32}) pointed at it
 * with {@link NativeLibrary#addSearchPath}. The backend's real binding then runs on it through
 * {@link ComLibraries#allIn}.
 *
 * <p>Tests that need it are skipped, with the reason, where it cannot be built (not Linux, no {@code gcc}); CI
 * ({@code .ci/run}) installs {@code gcc}.
 */
final class ComShim {

    /** Counter indexes, in the order of the C enum. */
    static final int BSTR_ALLOCATED = 0;
    static final int BSTR_FREED = 1;
    static final int VARIANT_FILLED = 2;
    static final int VARIANT_CLEARED = 3;
    static final int ARRAY_CREATED = 4;
    static final int ARRAY_DESTROYED = 5;
    static final int ARRAY_ACCESSED = 6;
    static final int ARRAY_UNACCESSED = 7;
    static final int OBJECT_CREATED = 8;
    static final int OBJECT_DESTROYED = 9;
    static final int REFERENCE_ADDED = 10;
    static final int REFERENCE_RELEASED = 11;
    static final int EVENT_CREATED = 12;
    static final int EVENT_CLOSED = 13;
    static final int MISUSE = 14;
    static final int CO_INITIALIZED = 15;
    static final int CO_UNINITIALIZED = 16;
    static final int MESSAGE_PEEKED = 17;
    static final int MESSAGE_DISPATCHED = 18;
    static final int WAITS = 19;
    static final int COUNTERS = 20;

    /** How {@code get_VolumePathNames} shapes its array (the C enum). */
    enum ArrayShape { VARIANTS, BSTRS, NULL, TWO_DIMENSIONS, INTEGERS }

    private static final Path MODULE = Path.of(System.getProperty("user.dir"));
    private static final Path SOURCE = MODULE.resolve("src/test/native/comshim.c");
    private static final Path OUTPUT = MODULE.resolve("target/comshim");
    private static final String[] WINDOWS_NAMES = {ComLibraries.OLE32, ComLibraries.OLEAUT32, ComLibraries.USER32,
        ComLibraries.KERNEL32};
    private static final Map<String, ComShim> PROCESSES = new HashMap<>();
    private static Path built;

    /** The model's entry point, called by every method of the stand-in. */
    interface Model extends Callback {
        int invoke(int call, long object, Pointer text, int textLength, long number, long number2, Pointer out);
    }

    /** The stand-in's control functions. */
    interface Control extends Library {
        void shim_set_model(Model model);

        int shim_counter_count();

        void shim_counters(long[] values, int length);

        long shim_live_references();

        int shim_misuse(byte[] buffer, int capacity);

        void shim_fail_next(String function, int hr, int times);

        void shim_set_array_shape(int shape);

        void shim_reset();

        void shim_out_text(Pointer out, Pointer chars, int length);

        void shim_out_null(Pointer out);

        void shim_out_number(Pointer out, long number);
    }

    final String process;
    final Path library;
    final Control control;
    private Model model; // strongly held while registered

    private ComShim(String process, Path library) {
        this.process = process;
        this.library = library;
        this.control = Native.load(library.toString(), Control.class);
        if (control.shim_counter_count() != COUNTERS) {
            throw new IllegalStateException("the stand-in has " + control.shim_counter_count() + " counters, the "
                    + "test expects " + COUNTERS);
        }
    }

    /**
     * The stand-in of one simulated process: its own copy of the library, reset, with no model yet. Skips the calling
     * test when the library cannot be built here.
     */
    static synchronized ComShim process(String process) {
        ComShim shim = PROCESSES.get(process);
        if (shim == null) {
            Path copy = copyFor(process);
            shim = new ComShim(process, copy);
            PROCESSES.put(process, shim);
        }
        shim.control.shim_reset();
        return shim;
    }

    /** The functions the backend calls, from this process's copy. */
    ComLibraries libraries() {
        return ComLibraries.allIn(library.toString());
    }

    /** Registers the model every method of this copy asks. */
    void setModel(Model newModel) {
        model = newModel;
        control.shim_set_model(newModel);
    }

    Model model() {
        return model;
    }

    /** The next {@code times} calls of an OLE runtime function fail: {@code SysAllocStringLen} (NULL), ... */
    void failNext(String function, int hresult, int times) {
        control.shim_fail_next(function, hresult, times);
    }

    void arrayShape(ArrayShape shape) {
        control.shim_set_array_shape(shape.ordinal());
    }

    Counters counters() {
        long[] values = new long[COUNTERS];
        control.shim_counters(values, COUNTERS);
        byte[] misuse = new byte[16384];
        int length = control.shim_misuse(misuse, misuse.length);
        String text = new String(misuse, 0, length, StandardCharsets.UTF_8);
        return new Counters(process, values, control.shim_live_references(), text.isEmpty() ? List.of()
                : List.of(text.split("\n")));
    }

    /** Hands a string to the stand-in's output (as UTF-16 code units). */
    void outText(Pointer out, String text) {
        byte[] units = text.getBytes(StandardCharsets.UTF_16LE);
        Memory chars = new Memory(Math.max(2, units.length));
        chars.write(0, units, 0, units.length);
        control.shim_out_text(out, chars, units.length / 2);
    }

    /**
     * What a process's copy counted.
     *
     * @param values the counters, by the indexes above
     * @param liveReferences references held now on objects not yet destroyed
     * @param misuse every misuse the stand-in recorded
     */
    record Counters(String process, long[] values, long liveReferences, List<String> misuse) {

        long get(int counter) {
            return values[counter];
        }

        long bstrsOutstanding() {
            return values[BSTR_ALLOCATED] - values[BSTR_FREED];
        }

        long variantsOutstanding() {
            return values[VARIANT_FILLED] - values[VARIANT_CLEARED];
        }

        long arraysOutstanding() {
            return values[ARRAY_CREATED] - values[ARRAY_DESTROYED];
        }

        long arrayAccessesOutstanding() {
            return values[ARRAY_ACCESSED] - values[ARRAY_UNACCESSED];
        }

        long objectsOutstanding() {
            return values[OBJECT_CREATED] - values[OBJECT_DESTROYED];
        }

        long eventsOutstanding() {
            return values[EVENT_CREATED] - values[EVENT_CLOSED];
        }

        long apartmentsOutstanding() {
            return values[CO_INITIALIZED] - values[CO_UNINITIALIZED];
        }

        /** What was counted since {@code before}: the differences, and the misuse that came after. */
        Counters since(Counters before) {
            long[] delta = new long[values.length];
            for (int i = 0; i < values.length; i++) {
                delta[i] = values[i] - before.values[i];
            }
            return new Counters(process, delta, liveReferences, misuse.subList(Math.min(before.misuse.size(),
                    misuse.size()), misuse.size()));
        }

        /** Whether nothing is outstanding: no BSTR, VARIANT, SAFEARRAY, object, reference, event or apartment. */
        boolean nothingOutstanding() {
            return bstrsOutstanding() == 0 && variantsOutstanding() == 0 && arraysOutstanding() == 0
                    && arrayAccessesOutstanding() == 0 && objectsOutstanding() == 0 && liveReferences == 0
                    && eventsOutstanding() == 0 && apartmentsOutstanding() == 0;
        }

        /** One line: what was allocated and freed, and what is outstanding. */
        String summary() {
            return String.format("%s: BSTR %d allocated / %d freed, VARIANT %d filled / %d cleared, SAFEARRAY %d "
                    + "created / %d destroyed (accessed %d / unaccessed %d), objects %d created / %d destroyed, "
                    + "references +%d / -%d (live %d), events %d created / %d closed, apartments %d entered / %d left, "
                    + "misuse %d", process, values[BSTR_ALLOCATED], values[BSTR_FREED], values[VARIANT_FILLED],
                    values[VARIANT_CLEARED], values[ARRAY_CREATED], values[ARRAY_DESTROYED], values[ARRAY_ACCESSED],
                    values[ARRAY_UNACCESSED], values[OBJECT_CREATED], values[OBJECT_DESTROYED],
                    values[REFERENCE_ADDED], values[REFERENCE_RELEASED], liveReferences, values[EVENT_CREATED],
                    values[EVENT_CLOSED], values[CO_INITIALIZED], values[CO_UNINITIALIZED], values[MISUSE]);
        }
    }

    /**
     * Waits (boundedly: the agent's workers leave their apartments after the agent's close completes) until nothing
     * is outstanding in this copy, and returns what it counted.
     */
    Counters awaitQuiet() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Counters now = counters();
        while (!now.nothingOutstanding() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            Thread.yield();
            now = counters();
        }
        return now;
    }

    // ------------------------------------------------------------------------------------------------ building

    private static Path copyFor(String process) {
        Path base = build();
        Path copy = OUTPUT.resolve("process-" + process.replaceAll("[^A-Za-z0-9_-]", "_"))
                .resolve("libdiscagent-comshim.so");
        try {
            Files.createDirectories(copy.getParent());
            Files.copy(base, copy, StandardCopyOption.REPLACE_EXISTING); // a copy, not a link: its own globals
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return copy;
    }

    /** Builds the library if needed and points the Windows names at it; skips the test where that cannot be done. */
    static synchronized Path build() {
        if (built != null) {
            return built;
        }
        assumeTrue(Platform.isLinux(), "the native OLE stand-in is built for Linux only");
        Path target = OUTPUT.resolve("libdiscagent-comshim.so");
        try {
            Files.createDirectories(OUTPUT);
            if (!Files.exists(target) || Files.getLastModifiedTime(target).compareTo(
                    Files.getLastModifiedTime(SOURCE)) < 0) {
                compile(target);
            }
            Path names = OUTPUT.resolve("windows-names");
            Files.createDirectories(names);
            for (String name : WINDOWS_NAMES) {
                Path link = names.resolve("lib" + name + ".so");
                Files.deleteIfExists(link);
                Files.createSymbolicLink(link, target);
                NativeLibrary.addSearchPath(name, names.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        built = target;
        return target;
    }

    private static void compile(Path target) throws IOException {
        List<String> command = new ArrayList<>(List.of("gcc", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra",
                "-Werror", "-O1", "-g", "-shared", "-fPIC", "-fvisibility=hidden", "-Wl,-Bsymbolic", "-o",
                target.toString(), SOURCE.toString(), "-lpthread"));
        Process gcc;
        try {
            gcc = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no C compiler (gcc) to build the native OLE stand-in: " + e.getMessage()
                    + " (apt-get install gcc libc6-dev)");
            throw e;
        }
        String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!gcc.waitFor(2, TimeUnit.MINUTES) || gcc.exitValue() != 0) {
                throw new IllegalStateException("building the native OLE stand-in failed: " + String.join(" ",
                        command) + "\n" + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building the native OLE stand-in", e);
        }
    }
}
