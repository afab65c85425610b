package io.discagent.service.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where an option takes its value when the command line does not give one: its environment variable, then the
 * configuration file, then the option's own default (flag &gt; environment &gt; file &gt; default). picocli asks this
 * provider for every option before it falls back to the option's default.
 *
 * <p>Which options: every option of {@code serve} (its tuning options are derived from the settings lists, so are
 * their keys), and the connection options of the client commands ({@code --url}, {@code --access-token},
 * {@code --admin-token}). An option's key is its long name without the dashes ({@code --max-wait} &rarr;
 * {@code max-wait}); its variable is {@code DISCAGENT_} and the key in capitals with underscores
 * ({@code DISCAGENT_MAX_WAIT}). A map option ({@code --backend-property}) takes {@code k=v} pairs separated by
 * {@code ;}.
 *
 * <p>The file is a Java properties file: {@code --config FILE}, else {@code $DISCAGENT_CONFIG}, else
 * {@value #LINUX_FILE} (on Windows {@code %ProgramData%\discagent\discagent.properties}) when it exists. A file named
 * explicitly must be readable.
 */
final class ConfigDefaults implements IDefaultValueProvider {

    /** The variable that names the configuration file. */
    static final String CONFIG_VARIABLE = "DISCAGENT_CONFIG";
    /** The file the Debian package installs. */
    static final String LINUX_FILE = "/etc/discagent/discagent.properties";

    private static final Set<String> CLIENT_KEYS = Set.of("url", "access-token", "admin-token");

    /** A configuration file that was named but cannot be read. */
    static final class Unreadable extends Exception {

        private static final long serialVersionUID = 1L;

        Unreadable(String message) {
            super(message);
        }
    }

    private final Map<String, String> environment;
    private final Properties file;
    private final @Nullable Path path;

    private ConfigDefaults(Map<String, String> environment, Properties file, @Nullable Path path) {
        this.environment = Map.copyOf(environment);
        this.file = file;
        this.path = path;
    }

    /**
     * The defaults from {@code environment} and the configuration file: {@code explicitFile} (from {@code --config}),
     * else the file {@code DISCAGENT_CONFIG} names, else the machine's file if there is one.
     *
     * @throws Unreadable when a file named by {@code --config} or {@code DISCAGENT_CONFIG} cannot be read
     */
    static ConfigDefaults load(@Nullable String explicitFile, Map<String, String> environment) throws Unreadable {
        String named = explicitFile != null ? explicitFile : environment.get(CONFIG_VARIABLE);
        Path file = named != null && !named.isBlank() ? Path.of(named) : machineFile(environment);
        Properties properties = new Properties();
        if (file == null || (named == null && !Files.isReadable(file))) {
            return new ConfigDefaults(environment, properties, null);
        }
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (NoSuchFileException e) {
            throw new Unreadable("the configuration file " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new Unreadable("the configuration file " + file + " cannot be read: permission denied");
        } catch (IOException | IllegalArgumentException e) {
            throw new Unreadable("cannot read the configuration file " + file + ": " + e.getMessage());
        }
        return new ConfigDefaults(environment, properties, file);
    }

    private static @Nullable Path machineFile(Map<String, String> environment) {
        if (System.getProperty("os.name", "").startsWith("Windows")) {
            String programData = environment.get("ProgramData");
            return programData == null ? null : Path.of(programData, "discagent", "discagent.properties");
        }
        return Path.of(LINUX_FILE);
    }

    /** The file read, if any. */
    @Nullable Path path() {
        return path;
    }

    @Override
    public @Nullable String defaultValue(ArgSpec argument) {
        if (!(argument instanceof OptionSpec option) || !configurable(option)) {
            return null;
        }
        String key = key(option);
        String fromEnvironment = environment.get(variable(key));
        return fromEnvironment != null ? fromEnvironment : file.getProperty(key);
    }

    /** Whether an option takes its value from the environment and the file (see the class comment). */
    static boolean configurable(OptionSpec option) {
        if (option.usageHelp() || option.versionHelp() || key(option).equals("config")) {
            return false;
        }
        return option.command().name().equals("serve") || CLIENT_KEYS.contains(key(option));
    }

    /** {@code --max-wait} &rarr; {@code max-wait}. */
    static String key(OptionSpec option) {
        return option.longestName().replaceFirst("^-+", "");
    }

    /** {@code max-wait} &rarr; {@code DISCAGENT_MAX_WAIT}. */
    static String variable(String key) {
        return "DISCAGENT_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The keys of the file that are not in {@code known}: typos, which would be ignored without a word. */
    Set<String> unknownKeys(Set<String> known) {
        Set<String> unknown = new TreeSet<>(file.stringPropertyNames());
        unknown.removeAll(known);
        return unknown;
    }

    /** The {@code --config FILE} of a command line, if it has one (before any {@code --}). */
    static @Nullable String configArgument(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                return null;
            }
            if (args[i].equals("--config") && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith("--config=")) {
                return args[i].substring("--config=".length());
            }
        }
        return null;
    }
}
