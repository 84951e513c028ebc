package raftsimple.core.msg;

import raftsimple.chain.Hash;

/** What the core tells the shell about the clients it is serving. */
public sealed interface ClientEvent
    permits ClientEvent.Assigned, ClientEvent.Refused, ClientEvent.ReadReady, ClientEvent.ReadFailed {

  /** Submit {@code ref} became entry {@code txid}; its outcome comes when the entry commits. */
  record Assigned(long ref, Hash txid) implements ClientEvent {}

  /** Submit {@code ref} was not taken: {@code code} is a CONTRACT error code (e.g. READ_ONLY). */
  record Refused(long ref, String code, String reason) implements ClientEvent {}

  /** Read {@code ref} may be served once the local committed log reaches {@code length}. */
  record ReadReady(long ref, long length) implements ClientEvent {}

  /** Read {@code ref} could not confirm a majority in time. */
  record ReadFailed(long ref, String reason) implements ClientEvent {}
}
