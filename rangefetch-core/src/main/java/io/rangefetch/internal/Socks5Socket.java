package io.rangefetch.internal;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/**
 * A socket whose {@code connect} reaches its target through a SOCKS5 proxy (RFC 1928), with
 * user name and password when the proxy asks (RFC 1929). An unresolved target address is sent
 * as a name for the proxy to resolve ({@code socks5h}). Not thread-safe, as any socket.
 *
 * <p>Why not the JDK's SOCKS support ({@code new Socket(Proxy)}): it takes credentials only from
 * the process-wide {@link java.net.Authenticator} or system properties, so two downloads with
 * two proxies, or an application that embeds rangefetch, would share or leak them.
 */
final class Socks5Socket extends Socket {
  private static final int VERSION = 5;
  private static final int NO_AUTHENTICATION = 0;
  private static final int USER_PASSWORD = 2;
  private static final int NO_ACCEPTABLE_METHOD = 0xFF;
  private static final String[] REPLIES = {"succeeded", "general SOCKS server failure",
      "connection not allowed by ruleset", "network unreachable", "host unreachable",
      "connection refused", "TTL expired", "command not supported", "address type not supported"};

  private final ProxyAddress proxy;

  Socks5Socket(ProxyAddress proxy) {
    this.proxy = proxy;
  }

  @Override
  public void connect(SocketAddress endpoint, int timeout) throws IOException {
    if (!(endpoint instanceof InetSocketAddress target)) {
      throw new IllegalArgumentException("not an internet address: " + endpoint);
    }
    super.connect(new InetSocketAddress(proxy.host(), proxy.port()), timeout);
    int readTimeout = getSoTimeout();
    try {
      // The handshake is part of connecting: it has the connect timeout.
      setSoTimeout(timeout);
      DataInputStream in = new DataInputStream(getInputStream());
      OutputStream out = getOutputStream();
      authenticate(in, out);
      requestConnect(target, in, out);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    setSoTimeout(readTimeout);
  }

  private void authenticate(DataInputStream in, OutputStream out) throws IOException {
    if (proxy.hasCredentials()) {
      out.write(new byte[] {VERSION, 2, NO_AUTHENTICATION, USER_PASSWORD});
    } else {
      out.write(new byte[] {VERSION, 1, NO_AUTHENTICATION});
    }
    out.flush();
    checkVersion(in.readUnsignedByte());
    int method = in.readUnsignedByte();
    if (method == NO_AUTHENTICATION) {
      return;
    }
    if (method != USER_PASSWORD || !proxy.hasCredentials()) {
      throw new SocketException("the SOCKS5 proxy " + proxy + " accepts none of the offered"
          + " ways to log in (it chose " + (method == NO_ACCEPTABLE_METHOD ? "none" : method)
          + ")" + (proxy.hasCredentials() ? "" : "; give user:password@ in the proxy URL"));
    }
    byte[] user = proxy.user().getBytes(StandardCharsets.UTF_8);
    byte[] password = proxy.password().getBytes(StandardCharsets.UTF_8);
    if (user.length > 255 || password.length > 255) {
      throw new SocketException("the SOCKS5 user name and password can have at most 255 bytes each");
    }
    byte[] login = new byte[3 + user.length + password.length];
    login[0] = 1;
    login[1] = (byte) user.length;
    System.arraycopy(user, 0, login, 2, user.length);
    login[2 + user.length] = (byte) password.length;
    System.arraycopy(password, 0, login, 3 + user.length, password.length);
    out.write(login);
    out.flush();
    in.readUnsignedByte(); // the version of the login sub-negotiation
    if (in.readUnsignedByte() != 0) {
      throw new SocketException("the SOCKS5 proxy " + proxy + " refused the user name and"
          + " password; check the credentials in the proxy URL");
    }
  }

  private void requestConnect(InetSocketAddress target, DataInputStream in, OutputStream out)
      throws IOException {
    byte[] address;
    int type;
    if (target.isUnresolved()) {
      byte[] name = target.getHostString().getBytes(StandardCharsets.US_ASCII);
      if (name.length > 255) {
        throw new SocketException("host name too long for SOCKS5: " + target.getHostString());
      }
      address = new byte[name.length + 1];
      address[0] = (byte) name.length;
      System.arraycopy(name, 0, address, 1, name.length);
      type = 3;
    } else {
      address = target.getAddress().getAddress();
      type = target.getAddress() instanceof Inet4Address ? 1 : 4;
    }
    byte[] request = new byte[6 + address.length];
    request[0] = VERSION;
    request[1] = 1; // CONNECT
    request[3] = (byte) type;
    System.arraycopy(address, 0, request, 4, address.length);
    request[4 + address.length] = (byte) (target.getPort() >> 8);
    request[5 + address.length] = (byte) target.getPort();
    out.write(request);
    out.flush();
    checkVersion(in.readUnsignedByte());
    int reply = in.readUnsignedByte();
    if (reply != 0) {
      throw new SocketException("the SOCKS5 proxy " + proxy + " could not connect to "
          + target.getHostString() + ":" + target.getPort() + ": "
          + (reply < REPLIES.length ? REPLIES[reply] : "reply " + reply));
    }
    in.readUnsignedByte(); // reserved
    skipBoundAddress(in, in.readUnsignedByte());
  }

  private static void skipBoundAddress(DataInputStream in, int type) throws IOException {
    int length = switch (type) {
      case 1 -> 4;
      case 4 -> 16;
      case 3 -> in.readUnsignedByte();
      default -> throw new SocketException("the SOCKS5 proxy answered an unknown address type "
          + type);
    };
    in.readFully(new byte[length + 2]);
  }

  private void checkVersion(int version) throws SocketException {
    if (version != VERSION) {
      throw new SocketException(proxy + " did not answer as a SOCKS5 proxy (version " + version
          + "); check the proxy's scheme and port");
    }
  }
}
