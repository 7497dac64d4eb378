/**
 * A place held in line as a Ticket, for both engines: the reservation is made (a refusal is
 * reported as the job's outcome, then thrown), and the ticket's submit runs the engine's own
 * submission through it.
 */
import { toToonError, type ErrorCode } from './errors.ts';
import type { Reservation } from './queueTypes.ts';
import type { CartoonRequest, CartoonResult, SubmitOptions, Ticket } from './types.ts';

export function openTicket(
  reserve: () => Reservation,
  refused: (code: ErrorCode) => void,
  submit: (request: Omit<CartoonRequest, 'requester'>, options: SubmitOptions, reservation: Reservation) => Promise<CartoonResult>,
): Ticket {
  let reservation: Reservation;
  try {
    reservation = reserve();
  } catch (error) {
    refused(toToonError(error).code);
    throw error;
  }
  return {
    submit: (request, options = {}) => submit(request, options, reservation),
    release: () => reservation.release(),
  };
}
