/**
 * Caption prompt presets: what the LoRA learns (identity, style, object) times how the caption is
 * written (SDXL tags or Flux sentences). The page shows the composed prompt and may edit it.
 */

export const SUBJECTS = {
  identity: {
    label: "Identity (a person or character)",
    text:
      "The LoRA will learn one specific person or character. Do not describe their permanent traits " +
      "(face, eye colour, skin tone, ethnicity, age, build, or a hairstyle that never changes): the trigger word " +
      "carries those. Do describe everything that varies between pictures: pose, expression, clothing, " +
      "accessories, hairstyle if it changes, action, camera angle and framing, lighting, background and setting. " +
      "Refer to the subject simply as a person, a man or a woman.",
  },
  style: {
    label: "Style (an art or photo style)",
    text:
      "The LoRA will learn an art or photographic style. Describe only the content of the picture: subjects, " +
      "objects, actions, composition, setting and colours of things. Do not name or describe the style itself " +
      "(medium, technique, brushwork, rendering, colour grading, artist or era): the trigger word carries it.",
  },
  object: {
    label: "Object (a product or thing)",
    text:
      "The LoRA will learn one specific object. Refer to it with a short generic noun (for example 'the bag') and " +
      "do not describe its fixed design (shape, logo, materials, colours that never change): the trigger word " +
      "carries those. Do describe its placement, angle, scale, what surrounds it, anyone holding or using it, " +
      "lighting and background.",
  },
} as const;

export const CAPTION_STYLES = {
  flux: {
    label: "Flux (natural sentences)",
    text:
      "Write one caption of one to three plain English sentences, the most important content first. Do not begin " +
      "with 'This image shows' or 'The image'. No lists, no markdown, no quotes, no line breaks.",
  },
  sdxl: {
    label: "SDXL (comma-separated tags)",
    text:
      "Write the caption as one line of 15 to 35 short lowercase tags separated by commas, most important first " +
      "(for example: 1girl, red dress, standing, city street, night, neon lights). No sentences, no numbering, " +
      "no markdown, no quotes.",
  },
} as const;

export type SubjectId = keyof typeof SUBJECTS;
export type CaptionStyleId = keyof typeof CAPTION_STYLES;

export const SUBJECT_IDS = Object.keys(SUBJECTS) as [SubjectId, ...SubjectId[]];
export const CAPTION_STYLE_IDS = Object.keys(CAPTION_STYLES) as [CaptionStyleId, ...CaptionStyleId[]];

export function composePrompt(subject: SubjectId, style: CaptionStyleId): string {
  return [
    "You write training captions for a LoRA image model dataset. Caption the attached image.",
    SUBJECTS[subject].text,
    CAPTION_STYLES[style].text,
    "Answer with the caption only.",
  ].join("\n\n");
}

export function presetList() {
  return {
    subjects: SUBJECT_IDS.map((id) => ({ id, label: SUBJECTS[id].label })),
    styles: CAPTION_STYLE_IDS.map((id) => ({ id, label: CAPTION_STYLES[id].label })),
    prompts: Object.fromEntries(
      SUBJECT_IDS.flatMap((subject) =>
        CAPTION_STYLE_IDS.map((style) => [`${subject}:${style}`, composePrompt(subject, style)]),
      ),
    ),
  };
}
