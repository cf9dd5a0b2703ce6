package io.rangefetch.server.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.RangeDownloader;
import io.rangefetch.server.StateOnDisk;
import io.rangefetch.server.protocol.AddCommand;
import io.rangefetch.server.protocol.StatusJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the service does when the downloader under it cannot take a download. */
class DownloadServiceTest {
  @TempDir Path dir;

  @Test
  void downloadTheDownloaderRefusesFailsAsInternalAndIsPushed() throws Exception {
    RangeDownloader closed = RangeDownloader.newBuilder().build();
    closed.close();
    DownloadService service = new DownloadService(closed, dir, 10, 10, new UrlPolicy(false));
    List<String> pushed = new ArrayList<>();
    service.addListener(new StatusListener() {
      @Override
      public void changed(StatusJson status, boolean stateChanged) {
        pushed.add(status.state());
      }

      @Override
      public void removed(String id) {
        pushed.add("removed " + id);
      }
    });
    service.start();

    StatusJson status = service.add(AddCommand.of("http://127.0.0.1:9/a.bin"));

    assertEquals("failed", status.state());
    assertEquals("internal", status.error().code());
    assertTrue(status.error().message().contains("add the URL again"), status.error().message());
    assertEquals(List.of("failed"), pushed);
    assertEquals("internal", StateOnDisk.status(dir, status.id()).get("error").get("code").asText());
  }
}
