package io.discagent.benchmarks;

import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * One derived figure of the suite, next to its target: a ratio to a same-run baseline, or an absolute value where the
 * target is absolute.
 *
 * @param id the benchmark id ({@code hop}, {@code handoff}, ...)
 * @param name what the figure is
 * @param value the figure
 * @param error its error bar as text (a &plusmn; half-width or a min&ndash;max range across iterations)
 * @param unit its unit ({@code x} for a ratio)
 * @param agent the agent's own measurement behind the figure, as text
 * @param baseline the baseline's measurement in the same run, as text ({@code —} where there is none)
 * @param target the target, as text
 * @param met whether the figure meets the target
 */
record Figure(String id, String name, double value, String error, String unit, String agent, String baseline,
        String target, boolean met) {

    JsonObject toJson() {
        return new JsonObject()
                .put("id", id).put("figure", name).put("value", value).put("error", error).put("unit", unit)
                .put("agent", agent).put("baseline", baseline).put("target", target).put("met", met);
    }

    String markdownRow() {
        return "| " + id + " | " + name + " | **" + format(value) + (unit.isEmpty() ? "" : " " + unit) + "** "
                + error + " | " + agent + " | " + baseline + " | " + target + " | " + (met ? "yes" : "**no**") + " |";
    }

    static String format(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        String pattern = a >= 1000 ? "%,.0f" : a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, pattern, v);
    }
}
