package io.discagent.agent.backend.windows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The project's table of IMAPI2 facts ({@code docs/imapi2-reference.md}), parsed from its text: one map per section
 * (GUIDs, DISPIDs, vtable slots, HRESULTs, constants), plus every row's source. Parsing the document itself keeps
 * the conformance check honest: the values are written once, where their sources are named.
 */
final class Imapi2Reference {

    /** Where the table lives, relative to the project root. */
    static final String PATH = "docs/imapi2-reference.md";

    /** {@code CLSID_MsftDiscMaster2} &rarr; {@code {2735412E-...}}. */
    final Map<String, String> guids = new LinkedHashMap<>();
    /** {@code IDiscRecorder2.AcquireExclusiveAccess} &rarr; 0x102. */
    final Map<String, Integer> dispIds = new LinkedHashMap<>();
    /** {@code DDiscMaster2Events.NotifyDeviceAdded} &rarr; 7. */
    final Map<String, Integer> slots = new LinkedHashMap<>();
    /** HRESULTs by name ({@code HRESULT_FROM_WIN32(ERROR_X)} as written). */
    final Map<String, Integer> hresults = new LinkedHashMap<>();
    /** The signed forms the HRESULT table also gives, to check the table against itself. */
    final Map<String, Integer> signedHresults = new LinkedHashMap<>();
    /** {@code COINIT_APARTMENTTHREADED}, {@code PM_REMOVE}, {@code WM_QUIT}, ... */
    final Map<String, Integer> constants = new LinkedHashMap<>();
    /** Rows whose source column is empty ("section: name"). */
    final List<String> rowsWithoutSource = new ArrayList<>();

    private static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\| ([^|]*?) \\|(.*)\\|\\s*$");

    private Imapi2Reference(String text) {
        String section = "";
        for (String line : text.split("\n")) {
            if (line.startsWith("## ")) {
                section = line.substring(3).trim();
                continue;
            }
            Matcher row = ROW.matcher(line);
            if (row.matches()) {
                String[] rest = row.group(3).split("\\|");
                String source = rest[rest.length - 1].trim();
                if (source.isEmpty()) {
                    rowsWithoutSource.add(section + ": " + row.group(1));
                }
                add(section, row.group(1), row.group(2).trim(), rest.length > 1 ? rest[0].trim() : null);
            }
        }
    }

    private void add(String section, String name, String value, String extra) {
        switch (section) {
            case "GUIDs" -> guids.put(name, value.replace("`", "").toUpperCase());
            case "DISPIDs" -> dispIds.put(name, Integer.decode(value));
            case "Vtable slots" -> slots.put(name, Integer.decode(value));
            case "HRESULTs" -> {
                hresults.put(name, (int) Long.parseLong(value.substring(2), 16));
                if (extra != null) {
                    signedHresults.put(name, Integer.parseInt(extra));
                }
            }
            case "Constants" -> constants.put(name, Integer.decode(value));
            default -> throw new IllegalStateException("a fact row outside the known sections: " + section);
        }
    }

    /** Reads the table, found from the working directory upward (the project root holds {@code docs/}). */
    static Imapi2Reference load() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path table = d.resolve(PATH);
            if (Files.isRegularFile(table)) {
                try {
                    return new Imapi2Reference(Files.readString(table, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        throw new IllegalStateException(PATH + " not found above " + dir);
    }
}
