package io.discagent.agent.internal;

import io.discagent.agent.spi.BackendConfig;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderBackendProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * Finds backends with {@link ServiceLoader} and orders the candidates for a selection: a name picks that backend;
 * {@code auto} tries the supported real backends first and the simulated one last.
 */
public final class BackendSelector {

    private BackendSelector() {
    }

    /**
     * A backend to try.
     *
     * @param name its name
     * @param real whether it drives real hardware (with {@code auto}, a real backend without recorders is skipped)
     * @param factory creates it
     */
    public record Candidate(String name, boolean real, Supplier<RecorderBackend> factory) {
    }

    /** Every provider on the class path. */
    public static List<RecorderBackendProvider> providers() {
        List<RecorderBackendProvider> all = new ArrayList<>();
        ServiceLoader.load(RecorderBackendProvider.class, BackendSelector.class.getClassLoader()).forEach(all::add);
        return all;
    }

    /**
     * The candidates for a selection.
     *
     * @throws IllegalArgumentException when the named backend does not exist or cannot run here
     */
    public static List<Candidate> candidates(String selection, BackendConfig config) {
        List<RecorderBackendProvider> providers = providers();
        List<Candidate> candidates = new ArrayList<>();
        if (selection.equals("auto")) {
            for (RecorderBackendProvider p : providers) {
                if (p.isReal() && p.isSupported()) {
                    candidates.add(candidate(p, config));
                }
            }
            for (RecorderBackendProvider p : providers) {
                if (!p.isReal() && p.isSupported()) {
                    candidates.add(candidate(p, config));
                }
            }
            return candidates;
        }
        List<String> names = new ArrayList<>();
        for (RecorderBackendProvider p : providers) {
            names.add(p.name());
            if (p.name().equals(selection)) {
                if (!p.isSupported()) {
                    throw new IllegalArgumentException("the " + selection + " backend cannot run on this machine ("
                            + System.getProperty("os.name") + ")");
                }
                candidates.add(candidate(p, config));
                return candidates;
            }
        }
        throw new IllegalArgumentException("no backend named '" + selection + "'; known: auto, "
                + String.join(", ", names));
    }

    private static Candidate candidate(RecorderBackendProvider p, BackendConfig config) {
        return new Candidate(p.name(), p.isReal(), () -> p.create(config));
    }
}
