package io.discagent.service.cli;

import io.discagent.agent.Setting;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Messages in the words of the command line. A validation message of the agent, the service's configuration or the
 * HTTP API names its parameters as the code does ({@code sessionTtl}, {@code 'waitMillis'}) and writes durations as
 * {@code PT0S} or in milliseconds; the user typed {@code --session-ttl} and {@code --wait 2h}. This rewrites one into
 * the other: {@code 'waitMillis': 7200000 is greater than 3600000} becomes {@code --wait: 2h is greater than 1h}.
 */
final class UserWords {

    private static final Pattern ISO_DURATION = Pattern.compile("\\bPT[0-9.HMS]+\\b");
    private static final Pattern NUMBER = Pattern.compile("(?<![\\w.])\\d+(?![\\w.])");

    private UserWords() {
    }

    /**
     * {@code message} with each name of {@code optionsByName} (quoted or not) replaced by its option; when one of the
     * names found ends in {@code Millis}, its numbers are durations in milliseconds and are written as durations; ISO
     * durations ({@code PT30S}) are written as on the command line ({@code 30s}).
     */
    static String translate(String message, Map<String, String> optionsByName) {
        String text = message;
        boolean millis = false;
        for (Map.Entry<String, String> name : optionsByName.entrySet()) {
            Matcher m = Pattern.compile("'" + Pattern.quote(name.getKey()) + "'|\\b" + Pattern.quote(name.getKey())
                    + "\\b").matcher(text);
            if (m.find()) {
                millis |= name.getKey().endsWith("Millis");
                text = m.replaceAll(Matcher.quoteReplacement(name.getValue()));
            }
        }
        if (millis) {
            text = replace(NUMBER, text, n -> n.length() > 15 ? n : Setting.text(Duration.ofMillis(Long.parseLong(n))));
        }
        return replace(ISO_DURATION, text, iso -> {
            try {
                return Setting.text(Duration.parse(iso));
            } catch (DateTimeParseException e) {
                return iso;
            }
        });
    }

    private static String replace(Pattern pattern, String text, Function<String, String> replacement) {
        Matcher m = pattern.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(replacement.apply(m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }
}
