package raftsimple.sim;

/** A checker found a violation; {@code invariant} names it (agreement, durability, ...). */
final class SimFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final String invariant;

  SimFailure(String invariant, String message) {
    super(invariant + ": " + message);
    this.invariant = invariant;
  }
}
