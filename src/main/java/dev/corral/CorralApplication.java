package dev.corral;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class CorralApplication {

    public static void main(String[] args) {
        SpringApplication.run(CorralApplication.class, args);
    }
}
