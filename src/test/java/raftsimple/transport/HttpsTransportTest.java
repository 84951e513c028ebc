package raftsimple.transport;

/** The transport contract over HTTPS with mutual TLS (transport "https"). */
class HttpsTransportTest extends TransportContractTest {
  @Override
  protected TransportFixture newFixture() {
    return new HttpsFixture();
  }
}
