package io.discagent.agent.backend.linux;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The person at the drive, through QMP: eject (refused by QEMU while the guest prevents medium removal), force an
 * eject, close the tray, change the disc, pull the drive out and plug one back in. Each action answers one line:
 * QEMU's verdict and the drive's state afterwards ({@code locked=... tray_open=... medium=...}).
 */
final class DriveActions {

    private final QmpClient qmp;
    private final QemuVm.Images images;
    private String drive = "cdrom0";
    private int plugs;

    DriveActions(QmpClient qmp, QemuVm.Images images) {
        this.qmp = qmp;
        this.images = images;
    }

    /** Performs {@code action} ({@code eject}, {@code force-eject}, {@code change-medium}, {@code query}, ...). */
    String perform(String action, String label) {
        return switch (action) {
            case "eject" -> verdict(qmp.execute("eject", "{\"id\":" + MiniJson.quote(drive) + "}")) + " | " + state();
            case "force-eject" -> verdict(qmp.execute("eject", "{\"id\":" + MiniJson.quote(drive)
                    + ",\"force\":true}")) + " | " + state();
            case "change-medium" -> verdict(qmp.execute("blockdev-change-medium", "{\"id\":" + MiniJson.quote(drive)
                    + ",\"filename\":" + MiniJson.quote(disc(label).toString())
                    + ",\"format\":\"raw\",\"read-only-mode\":\"read-only\"}")) + " | " + state();
            case "close-tray" -> verdict(qmp.execute("blockdev-close-tray", "{\"id\":" + MiniJson.quote(drive)
                    + "}")) + " | " + state();
            case "query" -> state();
            case "unplug" -> unplug();
            case "plug" -> plug(label);
            default -> "error: unknown action " + action;
        };
    }

    private String unplug() {
        String verdict = verdict(qmp.execute("device_del", "{\"id\":" + MiniJson.quote(drive) + "}"));
        boolean gone = Shell.await(Duration.ofSeconds(10), () -> state().equals("absent")); // QEMU finishes it
        return verdict + " | " + (gone ? "absent" : state());
    }

    private String plug(String label) {
        plugs++;
        String node = "cdnew" + plugs;
        String verdict = verdict(qmp.execute("blockdev-add", "{\"node-name\":" + MiniJson.quote(node)
                + ",\"driver\":\"raw\",\"read-only\":true,\"file\":{\"driver\":\"file\",\"filename\":"
                + MiniJson.quote(disc(label).toString()) + ",\"read-only\":true}}"));
        drive = "cdrom" + plugs;
        verdict += ", " + verdict(qmp.execute("device_add", "{\"driver\":\"scsi-cd\",\"id\":" + MiniJson.quote(drive)
                + ",\"bus\":\"scsi0.0\",\"drive\":" + MiniJson.quote(node) + "}"));
        return verdict + " | " + state();
    }

    private Path disc(String label) {
        return label.equals("disc2") ? images.disc2() : images.disc1();
    }

    @SuppressWarnings("unchecked")
    private static String verdict(Map<String, Object> reply) {
        Object error = reply.get("error");
        return error == null ? "ok" : "error: " + ((Map<String, Object>) error).get("desc");
    }

    /** {@code locked=.. tray_open=.. medium=..} of the current drive, or {@code absent}. */
    @SuppressWarnings("unchecked")
    String state() {
        List<Object> blocks = (List<Object>) qmp.execute("query-block", null).get("return");
        for (Object b : blocks) {
            Map<String, Object> block = (Map<String, Object>) b;
            Object qdev = block.get("qdev");
            if (qdev != null && (qdev.equals(drive) || qdev.toString().contains("/" + drive + "/"))) {
                Map<String, Object> inserted = (Map<String, Object>) block.get("inserted");
                String medium = inserted == null ? "none" : Path.of(String.valueOf(inserted.get("file")))
                        .getFileName().toString();
                return "locked=" + block.get("locked") + " tray_open=" + block.get("tray_open") + " medium=" + medium;
            }
        }
        return "absent";
    }
}
