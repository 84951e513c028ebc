package raftsimple.transport;

/** The transport contract over the clustered Vert.x event bus (transport "eventbus"), TLS on. */
class EventBusTransportTest extends TransportContractTest {
  @Override
  protected TransportFixture newFixture() {
    return new EventBusFixture();
  }
}
