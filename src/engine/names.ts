// Default flow run names in Prefect's style: "adjective-animal", e.g. "industrious-trout".
// Lowercase ascii letters only, so a name is safe in a storage key, a file name and a URL.

/** A list written as words separated by white space. */
function words(text: string): readonly string[] {
  return Object.freeze(text.trim().split(/\s+/));
}

const ADJECTIVES: readonly string[] = words(`
  able adaptable adventurous affable agile amazing amiable amusing ancient apricot ardent artistic artful
  astute athletic auspicious awesome azure beautiful benevolent bold brave breezy bright brilliant bronze
  bubbly calm candid capable careful charming cheerful chirpy classic clever colorful cordial courageous
  crafty cuddly curious dashing dainty dapper daring dazzling delightful determined diligent dynamic eager
  earnest elegant eloquent energetic enthusiastic fabulous fancy fantastic fearless festive fiery fine
  friendly frisky fuzzy gallant generous gentle giant glorious golden graceful grinning handsome happy
  hardy helpful heroic honest hopeful humble imaginative impartial industrious ingenious jolly jovial
  joyful keen kind lively loyal lucky magnificent mellow merry mighty modest nimble noble observant
  optimistic patient peaceful perky placid playful pleasant polite precious proud quick quiet quirky
  radiant rapid rational resolute robust rustic sassy serene sincere smart snappy sparkling spirited
  splendid steady stellar sturdy sunny swift tactful tenacious thoughtful tidy tireless tranquil trusty
  upbeat valiant vibrant vigilant vivacious warm whimsical wise witty wonderful zealous zesty
`);

const ANIMALS: readonly string[] = words(`
  aardvark albatross alligator alpaca anaconda ant antelope armadillo baboon badger barracuda bat beagle
  bear beaver bee beetle bison bobcat buffalo butterfly camel canary capybara caribou cat caterpillar
  chameleon cheetah chicken chipmunk cobra cockatoo collie cougar coyote crab crane cricket crocodile crow
  deer dingo dodo dog dolphin donkey dove dragonfly duck eagle eel elephant elk emu falcon ferret finch
  flamingo fox frog gazelle gecko gerbil gibbon giraffe goat goldfish goose gopher gorilla grasshopper
  grouse guppy hamster hare hawk hedgehog heron hippo hornet horse hound hummingbird hyena ibis iguana
  impala jackal jaguar jellyfish kangaroo kingfisher kitten kiwi koala ladybug lemming lemur leopard lion
  lizard llama lobster lynx macaw magpie mallard manatee marmot meerkat mink mole mongoose monkey moose
  moth mouse mule narwhal newt nightingale ocelot octopus okapi orca oriole ostrich otter owl ox panda
  panther parrot partridge peacock pelican penguin pheasant pig pigeon platypus pony porcupine porpoise
  puffin puma python quail rabbit raccoon ram raven reindeer rhino robin salamander salmon scorpion
  seahorse seal shark sheep shrew skunk sloth snail snake sparrow spider squid squirrel starfish stingray
  stork swallow swan tapir termite tiger toad tortoise toucan trout tuna turkey turtle vulture wallaby
  walrus warthog wasp weasel whale wolf wombat woodpecker worm yak zebra
`);

function pick(list: readonly string[]): string {
  return list[Math.floor(Math.random() * list.length)];
}

/** A random "adjective-animal" run name, matching `^[a-z]+-[a-z]+$`. */
export function generateRunName(): string {
  return `${pick(ADJECTIVES)}-${pick(ANIMALS)}`;
}

/** The word lists, for tests and for anyone who wants to validate a generated name. */
export const RUN_NAME_WORDS: { readonly adjectives: readonly string[]; readonly animals: readonly string[] } = {
  adjectives: ADJECTIVES,
  animals: ANIMALS,
};
