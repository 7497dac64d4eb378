/**
 * The part of a photo's way that every chat front end shares: hold a place in line for the
 * sender, then fetch the photo, then submit it into that place; the place is given back however
 * it ends. A refusal (the line full, the sender at their cap) therefore downloads nothing.
 */
import type { CartoonRequest, CartoonResult, Engine, SubmitOptions } from '../../engine/index.ts';

export async function reserveFetchSubmit(
  engine: Engine,
  requester: string,
  fetch: () => Promise<Uint8Array>,
  /** The request around the fetched photo (made after the fetch: a deadline counts from then). */
  request: (image: Uint8Array) => Omit<CartoonRequest, 'requester'>,
  options: SubmitOptions = {},
): Promise<CartoonResult> {
  const ticket = engine.reserve(requester);
  try {
    return await ticket.submit(request(await fetch()), options);
  } finally {
    ticket.release();
  }
}
