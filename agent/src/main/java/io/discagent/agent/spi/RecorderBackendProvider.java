package io.discagent.agent.spi;

/**
 * Creates a {@link RecorderBackend}. Providers are found with {@link java.util.ServiceLoader} (a
 * {@code META-INF/services/io.discagent.agent.spi.RecorderBackendProvider} entry).
 *
 * <p>A provider must not touch native libraries until {@link #create} is called, and must answer
 * {@link #isSupported()} from cheap checks only (operating system name, a file's existence): the Windows provider is
 * loaded on Linux and must report itself unsupported there without loading any Windows binding class.
 */
public interface RecorderBackendProvider {

    /** The name used to select this backend: {@code simulated}, {@code linux}, {@code windows}. */
    String name();

    /** Whether this backend can run on this machine. */
    boolean isSupported();

    /**
     * Whether this backend drives real hardware. The agent's {@code auto} selection prefers a real backend that
     * reports at least one recorder and falls back to a non-real one (the simulated backend).
     */
    boolean isReal();

    /**
     * Creates the backend. Nothing native should happen here: the agent calls
     * {@link RecorderBackend#enumerate()} on its native worker right after.
     *
     * @param config the agent's backend properties
     * @return a new backend
     */
    RecorderBackend create(BackendConfig config);
}
