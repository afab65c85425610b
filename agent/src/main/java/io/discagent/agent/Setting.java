package io.discagent.agent;

import java.time.Duration;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One tunable of a set of options, described once: its name, type, default and meaning, and how to set it on the
 * options' builder and read it back. Command-line options, configuration keys and documentation are derived from
 * such descriptions ({@link AgentOptions#settings()}, and the service's own), never written again by hand.
 *
 * @param name its name, in camel case ({@code commandTimeout})
 * @param type {@code Duration}, {@code Integer}, {@code Boolean} or {@code String}
 * @param defaultValue its default
 * @param description what it does, in one sentence
 * @param setter sets it on a builder (which validates it)
 * @param getter reads it from built options
 * @param <B> the builder
 * @param <O> the options
 * @param <T> the value
 */
public record Setting<B, O, T>(String name, Class<T> type, T defaultValue, String description,
        BiConsumer<B, T> setter, Function<O, T> getter) {

    /** Sets a value of the setting's type on {@code builder}. */
    public void set(B builder, Object value) {
        setter.accept(builder, type.cast(value));
    }

    /** The name in kebab case: {@code commandTimeout} &rarr; {@code command-timeout}. */
    public String kebabName() {
        return name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** The default as text: durations as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}; the rest as is. */
    public String defaultText() {
        return text(defaultValue);
    }

    /** A value of the setting as text, as {@link #defaultText()} writes it. */
    public static String text(Object value) {
        if (value instanceof Duration d) {
            if (d.isZero()) {
                return "0";
            }
            if (d.toMillis() % 1000 != 0) {
                return d.toMillis() + "ms";
            }
            long seconds = d.toSeconds();
            if (seconds % 3600 == 0) {
                return seconds / 3600 + "h";
            }
            return seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
        }
        return String.valueOf(value);
    }
}
