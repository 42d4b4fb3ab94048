/** Errors a person can act on, with their HTTP status: the kit's, shared with the LoRA-Tool. */
export * from "@comfystudio/kit/errors";
