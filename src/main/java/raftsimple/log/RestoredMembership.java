package raftsimple.log;

import java.util.List;
import raftsimple.core.msg.Membership;

/**
 * The membership a restored backup starts with ({@code raftsimplectl snapshot restore}): the
 * snapshot's own membership is the old cluster's, whose nodes the new one must never talk to, so
 * the restored node becomes the only member, a voter, at the next configuration version. Other
 * nodes join it afterwards ({@code join}), as with any cluster of one.
 */
public final class RestoredMembership {
  private RestoredMembership() {}

  /**
   * The snapshot metadata for a cluster of {@code nodeId} at {@code url} alone, from the old
   * metadata {@code oldMeta}; IllegalArgumentException when {@code oldMeta} is not a membership.
   */
  public static byte[] singleVoter(byte[] oldMeta, String nodeId, String url) {
    Membership old = MembershipJson.decode(oldMeta);
    Membership fresh = new Membership(old.version() + 1,
        List.of(new Membership.Member(nodeId, url, Membership.Role.VOTER)));
    return MembershipJson.encode(fresh);
  }

  /** The members of snapshot metadata, as {@code id=url (role)}, for progress output. */
  public static String describe(byte[] meta) {
    return MembershipJson.decode(meta).toString();
  }
}
