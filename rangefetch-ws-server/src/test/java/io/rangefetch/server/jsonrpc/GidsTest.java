package io.rangefetch.server.jsonrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.server.protocol.StatusJson;
import java.util.List;
import org.junit.jupiter.api.Test;

/** aria2's GIDs for the server's ids, and finding a download by GID or prefix. */
class GidsTest {

  @Test
  void decimalIdIsItsNumberInHex() {
    assertEquals("000000000000001a", Gids.of("26"));
    assertEquals("0000000000000001", Gids.of("1"));
  }

  @Test
  void otherIdsGetSixteenHexDigits() {
    String gid = Gids.of("node-a:7");
    assertTrue(gid.matches("[0-9a-f]{16}"), gid);
    assertEquals(gid, Gids.of("node-a:7"));
  }

  @Test
  void findsByWholeGidOrUniquePrefix() {
    List<StatusJson> list = List.of(status("26"), status("27"));
    assertEquals("27", Gids.find("000000000000001B", list).id());
    assertEquals("26", Gids.find("000000000000001a", list).id());
  }

  @Test
  void prefix_notUnique() {
    RpcException e = assertThrows(RpcException.class,
        () -> Gids.find("00000000", List.of(status("26"), status("27"))));
    assertTrue(e.getMessage().contains("is not unique"), e.getMessage());
  }

  @Test
  void gid_tooLong() {
    RpcException e = assertThrows(RpcException.class,
        () -> Gids.find("0000000000000001a", List.of(status("26"))));
    assertTrue(e.getMessage().startsWith("Invalid GID"), e.getMessage());
  }

  private static StatusJson status(String id) {
    return new StatusJson(id, "http://h/" + id, null, "queued", null, null, 0, 4, 1024, 0, null,
        null, null, null, null, null, null, "2026-12-03T00:00:00Z", "2026-12-03T00:00:00Z");
  }
}
