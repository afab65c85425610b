package io.discagent.agent.backend.windows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The facts of {@code ../shared/reference/imapi2.md} (relative to the project root), parsed from the text: the GUIDs,
 * DISPIDs, vtable slots and HRESULTs of its section 9, the HRESULT tables of section 5, and the two message-loop
 * constants of section 6.2. Parsing the document itself keeps the conformance check honest: nothing is copied.
 */
final class Imapi2Reference {

    final String text;
    final String section9;
    /** {@code CLSID_MsftDiscMaster2} &rarr; {@code {2735412E-...}}, plus {@code IConnectionPointContainer}. */
    final Map<String, String> guids = new LinkedHashMap<>();
    /** {@code IDiscRecorder2.AcquireExclusiveAccess} &rarr; 0x102. */
    final Map<String, Integer> dispIds = new LinkedHashMap<>();
    /** {@code DDiscMaster2Events.NotifyDeviceAdded} &rarr; 7. */
    final Map<String, Integer> slots = new LinkedHashMap<>();
    /** Section 9's HRESULTs by name ({@code HRESULT_FROM_WIN32(ERROR_X)} as written). */
    final Map<String, Integer> hresults = new LinkedHashMap<>();
    /** Section 9's signed forms, to check the document against itself. */
    final Map<String, Integer> signedHresults = new LinkedHashMap<>();
    /** The HRESULT tables of the whole document ({@code | `NAME` | 0x... |}). */
    final Map<String, Integer> tableHresults = new LinkedHashMap<>();
    /** {@code COINIT_APARTMENTTHREADED}, {@code PM_REMOVE}, {@code WM_QUIT}. */
    final Map<String, Integer> constants = new LinkedHashMap<>();

    private Imapi2Reference(String text) {
        this.text = text;
        int start = text.indexOf("## 9. Facts a test can check");
        if (start < 0) {
            throw new IllegalStateException("the reference has no section 9");
        }
        this.section9 = text.substring(start);
        parseGuids();
        parseDispIds();
        parseSlots();
        parseHresults();
        parseConstants();
    }

    /** Reads the reference, found from the working directory upward (the project root's sibling {@code shared}). */
    static Imapi2Reference load() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("pom.xml")) && Files.isDirectory(d.resolve("agent"))
                    && Files.isDirectory(d.resolve("api"))) {
                Path reference = d.resolve("../shared/reference/imapi2.md").normalize();
                if (!Files.isRegularFile(reference)) {
                    throw new IllegalStateException("the IMAPI2 reference is missing: " + reference);
                }
                try {
                    return new Imapi2Reference(Files.readString(reference, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        throw new IllegalStateException("no project root above " + dir);
    }

    private void parseGuids() {
        Matcher named = Pattern.compile("`((?:CLSID|IID)_\\w+)` = `(\\{[0-9A-Fa-f-]{36}\\})`").matcher(section9);
        while (named.find()) {
            guids.put(named.group(1), named.group(2).toUpperCase());
        }
        Matcher container = Pattern.compile("IConnectionPointContainer\\s+`(\\{[0-9A-Fa-f-]{36}\\})`")
                .matcher(section9);
        if (container.find()) {
            guids.put("IConnectionPointContainer", container.group(1).toUpperCase());
        }
    }

    private void parseDispIds() {
        String block = between(section9, "DISPIDs:", "Vtable slots");
        Matcher line = Pattern.compile("(?m)^- (\\w+): (.*?)(?=^- |\\z)", Pattern.DOTALL).matcher(block);
        Pattern pair = Pattern.compile("^\\s*(\\w+)\\s+\\**([-]?(?:0x[0-9A-Fa-f]+|\\d+))\\**");
        while (line.find()) {
            String iface = line.group(1);
            for (String item : line.group(2).replace('\u2212', '-').replace('\n', ' ').split(",")) {
                Matcher m = pair.matcher(item);
                if (m.find()) {
                    dispIds.put(iface + "." + m.group(1), Integer.decode(m.group(2)));
                }
            }
        }
    }

    private void parseSlots() {
        String block = between(section9, "Vtable slots", "HRESULTs").replace('\n', ' ');
        block = block.substring(block.indexOf(':') + 1);
        for (String part : block.split(";")) {
            Matcher iface = Pattern.compile("^\\s*(\\w+)").matcher(part);
            if (!iface.find()) {
                continue;
            }
            Matcher m = Pattern.compile("(\\w+) (\\d+)").matcher(part.substring(iface.end()));
            while (m.find()) {
                slots.put(iface.group(1) + "." + m.group(1), Integer.parseInt(m.group(2)));
            }
        }
    }

    private void parseHresults() {
        String block = between(section9, "HRESULTs (hex", "clientName rules");
        Matcher named = Pattern.compile("`([A-Z][A-Z0-9_]*(?:\\(ERROR_\\w+\\))?)`(?: =)? (0x[0-9A-Fa-f]{8})"
                + "(?: / (-?\\d+))?").matcher(block);
        while (named.find()) {
            hresults.put(named.group(1), (int) Long.parseLong(named.group(2).substring(2), 16));
            if (named.group(3) != null) {
                signedHresults.put(named.group(1), Integer.parseInt(named.group(3)));
            }
        }
        Matcher row = Pattern.compile("(?m)^\\| `([A-Z][A-Z0-9_]*(?:\\(ERROR_\\w+\\))?)` \\| \\**(0x[0-9A-Fa-f]{8})\\**")
                .matcher(text);
        while (row.find()) {
            tableHresults.put(row.group(1), (int) Long.parseLong(row.group(2).substring(2), 16));
        }
    }

    private void parseConstants() {
        constant("`COINIT_APARTMENTTHREADED` = (0x[0-9A-Fa-f]+)", "COINIT_APARTMENTTHREADED", section9);
        constant("`PM_REMOVE` \\((0x[0-9A-Fa-f]+)\\)", "PM_REMOVE", text);
        constant("`WM_QUIT` = (0x[0-9A-Fa-f]+)", "WM_QUIT", text);
    }

    private void constant(String regex, String name, String in) {
        Matcher m = Pattern.compile(regex).matcher(in);
        if (m.find()) {
            constants.put(name, Integer.decode(m.group(1)));
        }
    }

    private static String between(String s, String from, String to) {
        int start = s.indexOf(from);
        int end = s.indexOf(to, start + 1);
        if (start < 0 || end < 0) {
            throw new IllegalStateException("the reference has no block from '" + from + "' to '" + to + "'");
        }
        return s.substring(start, end);
    }
}
