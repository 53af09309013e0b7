package dev.corral.arch;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;

import org.junit.jupiter.api.Test;
import org.springframework.stereotype.Repository;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * Package by feature: each feature keeps its repository to itself and other features go through its public
 * service; features do not depend on each other in cycles.
 */
class ArchitectureTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.corral");

    @Test
    void repositoriesAreOnlyUsedInsideTheirOwnFeature() {
        classes().that().areAnnotatedWith(Repository.class).or().haveSimpleNameEndingWith("Repository")
                .should(onlyBeAccessedFromTheirOwnPackage())
                .check(MAIN);
    }

    @Test
    void repositoriesAreNotPublic() {
        classes().that().areAnnotatedWith(Repository.class).should().notBePublic().check(MAIN);
    }

    @Test
    void featuresHaveNoCycles() {
        SlicesRuleDefinition.slices().matching("dev.corral.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void sharedWebAndConfigCodeDependsOnNoFeature() {
        noClasses().that().resideInAnyPackage("dev.corral.web..", "dev.corral.config..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.corral.auth..", "dev.corral.user..",
                        "dev.corral.chat..", "dev.corral.conversation..", "dev.corral.ollama..", "dev.corral.model..")
                .check(MAIN);
    }

    @Test
    void onlyTheOllamaFeatureTalksHttpToOllama() {
        noClasses().that().resideOutsideOfPackage("dev.corral.ollama..")
                .should().dependOnClassesThat().resideInAPackage("java.net.http..")
                .check(MAIN);
    }

    private static ArchCondition<JavaClass> onlyBeAccessedFromTheirOwnPackage() {
        return new ArchCondition<>("only be accessed from their own package") {
            @Override
            public void check(JavaClass repository, ConditionEvents events) {
                repository.getAccessesToSelf().forEach(access -> {
                    JavaClass origin = access.getOriginOwner();
                    if (!origin.getPackageName().equals(repository.getPackageName())) {
                        events.add(SimpleConditionEvent.violated(access, access.getDescription()));
                    }
                });
            }
        };
    }
}
